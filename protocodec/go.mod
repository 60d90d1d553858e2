module github.com/hurrahdb/hurrah/protocodec

go 1.25.0

require (
	github.com/hurrahdb/hurrah v0.0.0
	github.com/stretchr/testify v1.12.1
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/fxamacker/cbor/v2 v2.9.6 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

replace github.com/hurrahdb/hurrah => ../
