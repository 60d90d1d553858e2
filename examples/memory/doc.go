// Memory shows a store opened without a directory: nothing touches the
// disk, and the data lasts as long as the handle.
package main
