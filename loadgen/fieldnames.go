package loadgen

// The field scenarios' names.
const (
	Browser        = "browser"
	Reload         = "reload"
	BackgroundTab  = "background-tab"
	DeadPeers      = "dead-peers"
	ReconnectStorm = "reconnect-storm"
	Ladder         = "ladder"
	NoDrop         = "nodrop"
)
