// Package cborhead writes and reads CBOR heads (a major type and its
// argument). It writes them in their shortest form, as the CBOR library
// writes them, and reads every definite-length form, as the library reads
// them. The journal's frames and the store's hand-written commands are
// built from these heads and read back with them, so both agree byte for
// byte with what the library would produce and accept.
package cborhead
