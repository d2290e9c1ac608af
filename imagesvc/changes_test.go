package imagesvc_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/imageapi/imageapi/imagesvc"
)

func applied(t *testing.T, lines ...string) imagesvc.ImageConfig {
	t.Helper()
	c, err := imagesvc.ParseChanges(lines)
	require.NoError(t, err)
	var cfg imagesvc.ImageConfig
	c.Apply(&cfg)
	return cfg
}

func TestChanges(t *testing.T) {
	cfg := applied(t,
		`ENV A=1 B="two words" C=three\ words`,
		`env D 4 and more`,
		`ENV A=override`,
		`CMD ["sh", "-c", "echo hi"]`,
		`LABEL org.example.a=1 "org.example.b"="x y"`,
		`LABEL legacy value here`,
		`EXPOSE 80 53/udp 8000-8002/tcp`,
		`USER 1000:1000`,
		`WORKDIR /app`,
		`WORKDIR sub`,
		`VOLUME ["/data", "/cache"]`,
		`VOLUME /logs /tmp/x`,
		`STOPSIGNAL SIGTERM`,
		`ONBUILD run echo built`,
		`HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --start-interval=500ms --retries=3 CMD curl -f http://localhost/`,
		"# a comment",
		"",
		"LABEL continued=\\",
		"yes",
	)
	assert.Equal(t, []string{"A=override", "B=two words", "C=three words", "D=4 and more"}, cfg.Env)
	assert.Equal(t, []string{"sh", "-c", "echo hi"}, cfg.Cmd)
	assert.Equal(t, map[string]string{"org.example.a": "1", "org.example.b": "x y", "legacy": "value here", "continued": "yes"}, cfg.Labels)
	assert.Len(t, cfg.ExposedPorts, 5)
	assert.Contains(t, cfg.ExposedPorts, "80/tcp")
	assert.Contains(t, cfg.ExposedPorts, "53/udp")
	assert.Contains(t, cfg.ExposedPorts, "8001/tcp")
	assert.Equal(t, "1000:1000", cfg.User)
	assert.Equal(t, "/app/sub", cfg.WorkingDir)
	assert.Len(t, cfg.Volumes, 4)
	assert.Contains(t, cfg.Volumes, "/tmp/x")
	assert.Equal(t, "SIGTERM", cfg.StopSignal)
	assert.Equal(t, []string{"RUN echo built"}, cfg.OnBuild)
	require.NotNil(t, cfg.Healthcheck)
	assert.Equal(t, imagesvc.HealthConfig{
		Test: []string{"CMD-SHELL", "curl -f http://localhost/"}, Interval: 5 * time.Second,
		Timeout: 2 * time.Second, StartPeriod: time.Second, StartInterval: 500 * time.Millisecond, Retries: 3,
	}, *cfg.Healthcheck)

	// The Docker extensions marshal next to the OCI fields, as DockerOCIImageConfig does.
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"Env", "Cmd", "Labels", "ExposedPorts", "Healthcheck", "OnBuild", "WorkingDir"} {
		assert.Contains(t, m, k)
	}
}

func TestChangesShellForms(t *testing.T) {
	cfg := applied(t, `CMD echo hello`, `ENTRYPOINT ["/bin/app"]`)
	assert.Equal(t, []string{"/bin/sh", "-c", "echo hello"}, cfg.Cmd, "CMD set before ENTRYPOINT survives")
	assert.Equal(t, []string{"/bin/app"}, cfg.Entrypoint)

	cfg = imagesvc.ImageConfig{}
	cfg.Cmd = []string{"old"}
	c, err := imagesvc.ParseChanges([]string{"entrypoint /bin/app --flag"})
	require.NoError(t, err)
	c.Apply(&cfg)
	assert.Nil(t, cfg.Cmd, "ENTRYPOINT without CMD resets CMD")
	assert.Equal(t, []string{"/bin/sh", "-c", "/bin/app --flag"}, cfg.Entrypoint)

	cfg = applied(t, `HEALTHCHECK CMD ["/bin/check", "-q"]`, `CMD []`)
	assert.Equal(t, []string{"CMD", "/bin/check", "-q"}, cfg.Healthcheck.Test)
	assert.Equal(t, []string{}, cfg.Cmd)
	cfg = applied(t, `HEALTHCHECK NONE`)
	assert.Equal(t, []string{"NONE"}, cfg.Healthcheck.Test)

	c, err = imagesvc.ParseChanges([]string{"CMD a", "USER x"})
	require.NoError(t, err)
	assert.Equal(t, 2, c.Len())
	assert.Equal(t, []string{"CMD a", "USER x"}, c.Lines())
	again, err := imagesvc.ParseChanges(c.Lines())
	require.NoError(t, err)
	assert.Equal(t, c.Lines(), again.Lines())

	var zero imagesvc.Changes
	zero.Apply(&cfg)
	assert.Equal(t, 0, zero.Len())
}

func TestChangesInvalid(t *testing.T) {
	for line, msg := range map[string]string{
		"RUN echo hi":                    "RUN is not a valid change command",
		"from alpine":                    "from is not a valid change command",
		"ONBUILD ONBUILD CMD x":          "ONBUILD isn't allowed as an ONBUILD trigger",
		"ONBUILD MAINTAINER me":          "MAINTAINER isn't allowed as an ONBUILD trigger",
		"ONBUILD BOGUS a b":              "unknown instruction: BOGUS",
		"USER":                           "USER requires at least one argument",
		"ENV A":                          "ENV must have two arguments",
		`ENV A="unterminated`:            `ENV: unmatched " quote`,
		"ENV =x":                         "ENV names can not be blank",
		"ENV A=1 B":                      "ENV names can not be blank or contain whitespace: B",
		"EXPOSE 80/xyz":                  "invalid proto: xyz",
		"EXPOSE eighty":                  "invalid containerPort: eighty",
		"EXPOSE 90-80":                   "invalid containerPort: 90-80",
		"HEALTHCHECK --interval=x CMD a": `HEALTHCHECK --interval: invalid duration "x"`,
		"HEALTHCHECK --retries=-1 CMD a": "HEALTHCHECK --retries must be a non-negative integer: -1",
		"HEALTHCHECK --bogus=1s CMD a":   "unknown flag: --bogus",
		"HEALTHCHECK --interval CMD a":   "HEALTHCHECK flag --interval needs a value",
		"HEALTHCHECK NONE x":             "HEALTHCHECK NONE takes no arguments",
		"HEALTHCHECK CMD":                "Missing command after HEALTHCHECK CMD",
		"HEALTHCHECK RUN x":              `Unknown type "RUN" in HEALTHCHECK (try CMD)`,
		`VOLUME [""]`:                    "VOLUME specified can not be an empty string",
	} {
		_, err := imagesvc.ParseChanges([]string{line})
		require.Error(t, err, line)
		assert.True(t, errdefs.IsInvalidArgument(err), line)
		assert.Equal(t, msg, err.Error(), line)
	}
}
