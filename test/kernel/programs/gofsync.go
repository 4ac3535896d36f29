// gofsync PATH N: write 100 bytes and fsync N times, then fdatasync once,
// with Go's own syscalls (no libc), as etcd does. Prints "synced N+1".
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
)

func main() {
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		panic(err)
	}
	f, err := os.OpenFile(os.Args[1], os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 100)
	for i := 0; i < n; i++ {
		if _, err := f.Write(buf); err != nil {
			panic(err)
		}
		if err := f.Sync(); err != nil {
			panic(err)
		}
	}
	if err := syscall.Fdatasync(int(f.Fd())); err != nil {
		panic(err)
	}
	f.Close()
	fmt.Printf("synced %d\n", n+1)
}
