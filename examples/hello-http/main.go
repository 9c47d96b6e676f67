// hello-http: barekit's bundled example service. It prints a banner, serves HTTP on
// $PORT (default 8080) and answers /healthz, so that images of it can be booted and probed.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	fmt.Printf("hello-http %s %s/%s listening on :%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, port)
	start := time.Now()
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s/%s, up %s\n", runtime.GOOS, runtime.GOARCH, time.Since(start).Round(time.Second))
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
