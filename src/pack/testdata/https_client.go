// A Go HTTPS client: uses crypto/x509 (CA bundle), net (resolver files) and time.LoadLocation
// (zoneinfo). Built by the pack tests with CGO_ENABLED=0.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		loc, err := time.LoadLocation(os.Args[1])
		fmt.Println(loc, err)
		resp, err := http.Get("https://example.com/")
		if err == nil {
			resp.Body.Close()
		}
	}
	fmt.Println("barekit-pack-test: hello")
}
