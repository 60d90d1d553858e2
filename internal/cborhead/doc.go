// Package cborhead writes CBOR heads (a major type and its argument) in
// their shortest form, as the CBOR library writes them. The journal's frames
// and the store's hand-written commands are built from them, so both agree
// byte for byte with what the library would produce.
package cborhead
