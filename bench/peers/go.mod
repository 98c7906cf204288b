module github.com/wslab/wslab/bench/peers

go 1.26.0

replace github.com/wslab/wslab => ../..

require (
	github.com/gobwas/ws v1.5.0
	github.com/gorilla/websocket v1.5.3
	github.com/lxzan/gws v1.8.9
	github.com/wslab/wslab v0.0.0
)

require (
	github.com/dolthub/maphash v0.1.0 // indirect
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/klauspost/compress v1.18.6 // indirect
)
