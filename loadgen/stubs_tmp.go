//go:build linux

package loadgen

func runReload(p *probe) (string, error)        { return "", nil }
func runBackgroundTab(p *probe) (string, error) { return "", nil }
