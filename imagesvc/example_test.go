package imagesvc_test

import (
	"fmt"

	"github.com/imageapi/imageapi/imagesvc"
)

// Parse an inspect name at the edge, then let the backend resolve it in Docker's order.
func ExampleParseImageRef() {
	ref, err := imagesvc.ParseImageRef("alpine")
	if err != nil {
		panic(err)
	}
	fmt.Println(ref.Tagged())
	fmt.Println(ref.NotFound())

	short, _ := imagesvc.ParseImageRef("sha256:1c4e")
	fmt.Println(short.ShortID())
	// Output:
	// docker.io/library/alpine:latest
	// No such image: alpine:latest
	// 1c4e
}

// Pull references follow Docker's rules for fromImage and tag.
func ExampleParsePullReference() {
	ref, _ := imagesvc.ParsePullReference("alpine:3.19", "3.20", "")
	fmt.Println(ref)
	all, _ := imagesvc.ParsePullReference("localhost:5000/app", "", "")
	fmt.Println(all, "(every tag)")
	_, err := imagesvc.ParsePullReference("scratch", "latest", "")
	fmt.Println(err)
	// Output:
	// docker.io/library/alpine:3.20
	// localhost:5000/app (every tag)
	// 'scratch' is a reserved name
}

// Changes are parsed once and applied to the config of an imported image.
func ExampleParseChanges() {
	changes, err := imagesvc.ParseChanges([]string{`ENV A=1`, `ENV B=$A`, `CMD ["sh"]`, `EXPOSE 80`})
	if err != nil {
		panic(err)
	}
	var cfg imagesvc.ImageConfig
	if err := changes.Apply(&cfg); err != nil {
		panic(err)
	}
	fmt.Println(cfg.Env, cfg.Cmd, len(cfg.ExposedPorts))

	_, err = imagesvc.ParseChanges([]string{"RUN make"})
	fmt.Println(err)
	// Output:
	// [A=1 B=1] [sh] 1
	// RUN is not a valid change command
}
