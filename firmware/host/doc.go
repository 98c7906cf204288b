// Package host runs a firmware.Board on Linux as an emulated board: a
// single event-loop goroutine over epoll drives every slot's state machine
// (so thousands of slots cost their buffers, not a goroutine stack each),
// refuses clients the board's way when it is full, keeps its files in a
// directory, and can emulate the board's link: a bandwidth shared by all of
// its connections plus a round-trip delay, on the host side only, so the
// board-side code is unchanged.
package host
