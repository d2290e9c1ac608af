package filters_test

import (
	"context"
	"fmt"
	"time"

	"github.com/imageapi/imageapi/filters"
)

func ExampleCompile() {
	// The "filters" query parameter of GET /images/json, in either shape.
	args, err := filters.FromJSON(`{"reference":{"alpine:3.*":true},"label":{"maintainer":true}}`)
	if err != nil {
		panic(err)
	}
	if err := args.Validate(filters.ImageListKeys()); err != nil {
		panic(err)
	}
	m, err := filters.Compile(context.Background(), args, filters.CompileOptions{
		// Resolve is only called for before and since.
		Resolve: func(ctx context.Context, ref string) (time.Time, error) { return time.Time{}, nil },
	})
	if err != nil {
		panic(err)
	}

	img := &filters.Image{
		Names:  []string{"docker.io/library/alpine:3.20", "docker.io/library/alpine:latest"},
		Labels: []map[string]string{{"maintainer": "someone"}},
	}
	fmt.Println(m.Match(img))
	fmt.Println(m.MatchNames(img.Names)) // RepoTags are trimmed to the matching names

	_, err = filters.FromJSON(`{"dangling":true}`)
	fmt.Println(err)
	fmt.Println(filters.NewArgs(filters.Arg("colour", "red")).Validate(filters.ImageListKeys()))
	_, err = filters.Compile(context.Background(), filters.NewArgs(filters.Arg("dangling", "maybe")), filters.CompileOptions{})
	fmt.Println(err)
	// Output:
	// true
	// [docker.io/library/alpine:3.20]
	// invalid filter
	// invalid filter 'colour'
	// invalid filter 'dangling=[maybe]'
}
