// Quickstart opens a store in a directory, writes typed values, closes it,
// opens it again and shows the values came back.
//
//	go run ./examples/quickstart           # uses a fresh temporary directory
//	go run ./examples/quickstart -dir data # uses (and keeps) ./data
package main
