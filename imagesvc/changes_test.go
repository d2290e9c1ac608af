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
	require.NoError(t, c.Apply(&cfg))
	assert.Equal(t, cfg, c.Config(), "Config is the result on an empty config")
	return cfg
}

// TestChangesDocker: what Docker 29 (moby's BuildFromConfig on BuildKit's parser, typed
// instructions and shell lexer) makes of import/commit changes, case by case. The cases
// come from moby's integration tests (TestCommitChange, TestImportWithQuotedChanges),
// BuildKit's lexer tests (shell/envVarTest) and its instruction tests.
func TestChangesDocker(t *testing.T) {
	hc := func(h imagesvc.HealthConfig) *imagesvc.HealthConfig { return &h }
	for _, tt := range []struct {
		name  string
		lines []string
		want  imagesvc.ImageConfig
	}{
		// Variables: expanded with the env built by the instructions before.
		{"env sees earlier env", []string{"ENV A=1", "ENV B=$A"}, cfgOf(env("A=1", "B=1"))},
		{"same line sees the env before the line", []string{"ENV A=1 B=$A"}, cfgOf(env("A=1", "B="))},
		{"defaults and alternatives", []string{"ENV A=1", "ENV B=${A:-d} C=${Z:-d} D=${A:+set} E=${Z:+set}"},
			cfgOf(env("A=1", "B=1", "C=d", "D=set", "E="))},
		{"pattern removal and replacement", []string{"ENV A=abc", "ENV B=${A#a} C=${A%c} D=${A/b/X}"},
			cfgOf(env("A=abc", "B=bc", "C=ab", "D=aXc"))},
		{"append to itself", []string{"ENV P=/bin", "ENV P=$P:/usr/bin"}, cfgOf(env("P=/bin:/usr/bin"))},
		{"escaped, single- and double-quoted $", []string{"ENV A=1", `ENV B=\$A C='$A' D="$A"`},
			cfgOf(env("A=1", "B=$A", "C=$A", "D=1"))},
		{"keys are case-sensitive", []string{"ENV a=1", "ENV A=2"}, cfgOf(env("a=1", "A=2"))},
		{"override keeps the position", []string{"ENV A=1 B=2", "ENV A=3"}, cfgOf(env("A=3", "B=2"))},
		{"label expands", []string{"ENV V=1.0", `LABEL version=$V "x y"="a b"`},
			cfgOf(env("V=1.0"), labels("version", "1.0", "x y", "a b"))},
		{"workdir expands and joins", []string{"ENV W=/w", "WORKDIR $W", "WORKDIR ${SUB:-sub}", "WORKDIR ../x"},
			cfgOf(env("W=/w"), func(c *imagesvc.ImageConfig) { c.WorkingDir = "/w/x" })},
		{"user expands", []string{"ENV U=app", "USER ${U}:1000"},
			cfgOf(env("U=app"), func(c *imagesvc.ImageConfig) { c.User = "app:1000" })},
		{"volume expands", []string{"ENV D=/data", "VOLUME $D /logs"},
			cfgOf(env("D=/data"), func(c *imagesvc.ImageConfig) { c.Volumes = set("/data", "/logs") })},
		{"expose expands", []string{"ENV P=8080", "EXPOSE $P ${Q:-9090}/udp"},
			cfgOf(env("P=8080"), ports("8080/tcp", "9090/udp"))},
		{"stopsignal expands", []string{"ENV S=SIGINT", "STOPSIGNAL $S"},
			cfgOf(env("S=SIGINT"), func(c *imagesvc.ImageConfig) { c.StopSignal = "SIGINT" })},
		{"cmd does not expand", []string{"ENV A=1", "CMD echo $A"},
			cfgOf(env("A=1"), func(c *imagesvc.ImageConfig) { c.Cmd = []string{"/bin/sh", "-c", "echo $A"} })},
		{"onbuild does not expand, keeps its text", []string{"onbuild run echo $A"},
			cfgOf(func(c *imagesvc.ImageConfig) { c.OnBuild = []string{"run echo $A"} })},

		// Quoting and escapes.
		{"quoted and escaped values", []string{`ENV A=1 B="two words" C=three\ words`},
			cfgOf(env("A=1", "B=two words", "C=three words"))},
		{"legacy ENV form", []string{"env D 4 and more"}, cfgOf(env("D=4 and more"))},
		{"legacy LABEL form", []string{"LABEL legacy value here"}, cfgOf(labels("legacy", "value here"))},
		{"LABEL with spaces", []string{`LABEL "org.example.b"="x y" 'single quoted'=yes`},
			cfgOf(labels("org.example.b", "x y", "single quoted", "yes"))},
		{"continuation line", []string{`LABEL a=b \`, " c=d"}, cfgOf(labels("a", "b", "c", "d"))},
		{"comments and blank lines", []string{"# a comment", "", "USER x"},
			cfgOf(func(c *imagesvc.ImageConfig) { c.User = "x" })},
		{"escape directive", []string{"# escape=`", "ENV B=a` b", `LABEL x=\y`},
			cfgOf(env("B=a b"), labels("x", `\y`))},

		// JSON and shell forms.
		{"exec form", []string{`CMD ["sh", "-c", "echo hi"]`},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Cmd = []string{"sh", "-c", "echo hi"} })},
		{"JSON escapes", []string{`CMD ["a\tb", "\u0041"]`},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Cmd = []string{"a\tb", "A"} })},
		{"broken JSON is shell form", []string{`CMD ["a", "b"`},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Cmd = []string{"/bin/sh", "-c", `["a", "b"`} })},
		{"shell form", []string{"CMD echo hello"},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Cmd = []string{"/bin/sh", "-c", "echo hello"} })},
		{"CMD [] is an empty command", []string{"CMD []"},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Cmd = []string{} })},
		{"quoted ENTRYPOINT (TestImportWithQuotedChanges)", []string{`ENTRYPOINT ["/bin/sh", "-c"]`},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Entrypoint = []string{"/bin/sh", "-c"} })},
		{"CMD before ENTRYPOINT survives", []string{"CMD echo hello", `ENTRYPOINT ["/bin/app"]`},
			cfgOf(func(c *imagesvc.ImageConfig) {
				c.Cmd, c.Entrypoint = []string{"/bin/sh", "-c", "echo hello"}, []string{"/bin/app"}
			})},
		{"shell-form ENTRYPOINT", []string{"entrypoint /bin/app --flag"},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Entrypoint = []string{"/bin/sh", "-c", "/bin/app --flag"} })},

		// EXPOSE.
		{"EXPOSE protocols and ranges", []string{"EXPOSE 80/udp 53 8000-8002/TCP"},
			cfgOf(ports("80/udp", "53/tcp", "8000/tcp", "8001/tcp", "8002/tcp"))},
		{"EXPOSE keeps the container port of a mapping", []string{"EXPOSE 127.0.0.1:8080:80"}, cfgOf(ports("80/tcp"))},

		// HEALTHCHECK.
		{"HEALTHCHECK NONE", []string{"HEALTHCHECK NONE"},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Healthcheck = hc(imagesvc.HealthConfig{Test: []string{"NONE"}}) })},
		{"HEALTHCHECK shell form with options",
			[]string{"HEALTHCHECK --interval=5s --timeout=2s --start-period=1s --start-interval=500ms --retries=3 CMD curl -f http://localhost/"},
			cfgOf(func(c *imagesvc.ImageConfig) {
				c.Healthcheck = hc(imagesvc.HealthConfig{
					Test: []string{"CMD-SHELL", "curl -f http://localhost/"}, Interval: 5 * time.Second,
					Timeout: 2 * time.Second, StartPeriod: time.Second, StartInterval: 500 * time.Millisecond, Retries: 3,
				})
			})},
		{"HEALTHCHECK exec form", []string{`HEALTHCHECK CMD ["/bin/check", "-q"]`},
			cfgOf(func(c *imagesvc.ImageConfig) {
				c.Healthcheck = hc(imagesvc.HealthConfig{Test: []string{"CMD", "/bin/check", "-q"}})
			})},

		// moby's TestCommitChange, on an empty config (an import).
		{"TestCommitChange", []string{
			"EXPOSE 8080", "ENV DEBUG true", "ENV test 1", "ENV PATH /foo", "LABEL foo bar",
			`CMD ["/bin/sh"]`, "WORKDIR /opt", `ENTRYPOINT ["/bin/sh"]`, "USER testuser",
			"VOLUME /var/lib/docker", "ONBUILD /usr/local/bin/python-build --dir /app/src",
		}, cfgOf(ports("8080/tcp"), env("DEBUG=true", "test=1", "PATH=/foo"), labels("foo", "bar"),
			func(c *imagesvc.ImageConfig) {
				c.Cmd, c.Entrypoint, c.WorkingDir, c.User = []string{"/bin/sh"}, []string{"/bin/sh"}, "/opt", "testuser"
				c.Volumes = set("/var/lib/docker")
				c.OnBuild = []string{"/usr/local/bin/python-build --dir /app/src"}
			})},
		{"STOPSIGNAL by number", []string{"STOPSIGNAL 9"},
			cfgOf(func(c *imagesvc.ImageConfig) { c.StopSignal = "9" })},
		{"VOLUME JSON form", []string{`VOLUME ["/data", "/cache"]`},
			cfgOf(func(c *imagesvc.ImageConfig) { c.Volumes = set("/data", "/cache") })},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, applied(t, tt.lines...))
		})
	}
}

func TestChangesInvalid(t *testing.T) {
	for _, tt := range []struct{ lines, msg string }{
		// Only the instructions Docker allows on import and commit; the name as written.
		{"RUN echo hi", "RUN is not a valid change command"},
		{"from alpine", "from is not a valid change command"},
		{`SHELL ["/bin/bash", "-c"]`, "SHELL is not a valid change command"},
		{"ARG X=1", "ARG is not a valid change command"},
		{"BOGUS x", "BOGUS is not a valid change command"},
		{"# only a comment", "file with no instructions"},
		{"", "file with no instructions"},
		// Arguments.
		{"USER", "USER requires exactly one argument"},
		{"WORKDIR", "WORKDIR requires exactly one argument"},
		{"ENV A", "ENV must have two arguments"},
		{"ENV =x", "ENV names can not be blank"},
		{"ENV A=1 B", `Syntax error - can't find = in "B". Must be of the form: name=value`},
		{`ENV A="unterminated`, `failed to process "\"unterminated": unexpected end of statement while looking for matching double-quote`},
		{"ENV A=${B:?required}", `failed to process "${B:?required}": B: required`},
		{"ENV A=${A:=x}", `failed to process "${A:=x}": unsupported modifier (:=) in substitution`},
		{"ONBUILD ONBUILD CMD x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"},
		{"ONBUILD MAINTAINER me", "MAINTAINER isn't allowed as an ONBUILD trigger"},
		{"ONBUILD from alpine", "FROM isn't allowed as an ONBUILD trigger"},
		{"EXPOSE 80/xyz", "invalid proto: xyz"},
		{"EXPOSE eighty", "invalid containerPort: eighty"},
		{"EXPOSE 90-80", "invalid containerPort: 90-80"},
		{"EXPOSE /udp", "no port specified: /udp<empty>"},
		{"EXPOSE ${P:-x}", "invalid containerPort: x"},
		{"HEALTHCHECK", "HEALTHCHECK requires at least one argument"},
		{"HEALTHCHECK --interval=x CMD a", `time: invalid duration "x"`},
		{"HEALTHCHECK --interval=1ns CMD a", `Interval "interval" cannot be less than 1ms`},
		{"HEALTHCHECK --retries=-1 CMD a", "--retries cannot be negative (-1)"},
		{"HEALTHCHECK --bogus=1s CMD a", "unknown flag: --bogus"},
		{"HEALTHCHECK --interval CMD a", "missing a value on flag: --interval"},
		{"HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"},
		{"HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"},
		{"HEALTHCHECK RUN x", `Unknown type "RUN" in HEALTHCHECK (try CMD)`},
		{`VOLUME [""]`, "VOLUME specified can not be an empty string"},
		{"STOPSIGNAL SIGBOGUS", "invalid signal: SIGBOGUS"},
		{"STOPSIGNAL 0", "invalid signal: 0"},
	} {
		lines := []string{"ENV OK=1", tt.lines} // an error after a valid instruction
		if tt.lines == "" || tt.lines[0] == '#' {
			lines = lines[1:]
		}
		_, err := imagesvc.ParseChanges(lines)
		require.Error(t, err, tt.lines)
		assert.True(t, errdefs.IsInvalidArgument(err), tt.lines)
		assert.Equal(t, tt.msg, err.Error(), tt.lines)
	}
}

func TestChangesApply(t *testing.T) {
	// Apply expands against the config it is given (a commit's base), not an empty one.
	c, err := imagesvc.ParseChanges([]string{"ENV B=$A", "WORKDIR sub", "ENTRYPOINT /bin/app"})
	require.NoError(t, err)
	cfg := imagesvc.ImageConfig{}
	cfg.Env, cfg.WorkingDir, cfg.Cmd = []string{"A=base"}, "/app", []string{"old"}
	cfg.Shell = []string{"/bin/bash", "-c"}
	require.NoError(t, c.Apply(&cfg))
	assert.Equal(t, []string{"A=base", "B=base"}, cfg.Env)
	assert.Equal(t, "/app/sub", cfg.WorkingDir)
	assert.Nil(t, cfg.Cmd, "ENTRYPOINT without CMD resets CMD")
	assert.Equal(t, []string{"/bin/bash", "-c", "/bin/app"}, cfg.Entrypoint, "shell form uses the config's shell")
	assert.Equal(t, []string{"B="}, c.Config().Env, "Config is the result on an empty config")

	// Applying twice gives the same result: the parsed instructions are not consumed.
	var a, b imagesvc.ImageConfig
	require.NoError(t, c.Apply(&a))
	require.NoError(t, c.Apply(&b))
	assert.Equal(t, a, b)

	// An error leaves the config as it was.
	c, err = imagesvc.ParseChanges([]string{"ENV X=1", "EXPOSE ${P:-80}"})
	require.NoError(t, err)
	cfg = imagesvc.ImageConfig{}
	cfg.Env = []string{"P=bogus"}
	err = c.Apply(&cfg)
	assert.True(t, errdefs.IsInvalidArgument(err), "%v", err)
	assert.Equal(t, []string{"P=bogus"}, cfg.Env)

	// Lines are kept as given for transports; Len counts instructions.
	c, err = imagesvc.ParseChanges([]string{"CMD a", "# c", "LABEL a=b \\", "c=d"})
	require.NoError(t, err)
	assert.Equal(t, 2, c.Len())
	assert.Equal(t, []string{"CMD a", "# c", "LABEL a=b \\", "c=d"}, c.Lines())
	again, err := imagesvc.ParseChanges(c.Lines())
	require.NoError(t, err)
	assert.Equal(t, c.Config(), again.Config())

	var zero imagesvc.Changes
	require.NoError(t, zero.Apply(&cfg))
	assert.Equal(t, 0, zero.Len())
	assert.Equal(t, imagesvc.ImageConfig{}, zero.Config())
	none, err := imagesvc.ParseChanges(nil)
	require.NoError(t, err)
	assert.Equal(t, zero, none)
}

func TestChangesFromConfig(t *testing.T) {
	parsed, err := imagesvc.ParseChanges([]string{"ENV A=1", "ENV B=$A", `CMD ["sh"]`, "EXPOSE 80/udp", "HEALTHCHECK NONE"})
	require.NoError(t, err)
	typed := imagesvc.ChangesFromConfig(parsed.Config())
	var cfg imagesvc.ImageConfig
	require.NoError(t, typed.Apply(&cfg))
	assert.Equal(t, parsed.Config(), cfg)
	assert.Equal(t, parsed.Config(), typed.Config())

	cfg.Env = append(cfg.Env, "C=3") // the caller's copy, not the Changes'
	assert.Equal(t, []string{"A=1", "B=1"}, typed.Config().Env)

	base := imagesvc.ImageConfig{}
	base.User = "u"
	assert.True(t, errdefs.IsFailedPrecondition(typed.Apply(&base)))
	assert.Equal(t, "u", base.User)
	assert.NoError(t, imagesvc.ChangesFromConfig(imagesvc.ImageConfig{}).Apply(&base))
}

func TestChangesJSON(t *testing.T) {
	// The Docker extensions marshal next to the OCI fields, as DockerOCIImageConfig does.
	cfg := applied(t, "ENV A=1", `CMD ["sh"]`, "LABEL a=b", "EXPOSE 80", "HEALTHCHECK NONE", "ONBUILD RUN x", "WORKDIR /w")
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"Env", "Cmd", "Labels", "ExposedPorts", "Healthcheck", "OnBuild", "WorkingDir"} {
		assert.Contains(t, m, k)
	}
}

func cfgOf(fs ...func(*imagesvc.ImageConfig)) imagesvc.ImageConfig {
	var c imagesvc.ImageConfig
	for _, f := range fs {
		f(&c)
	}
	return c
}

func env(kv ...string) func(*imagesvc.ImageConfig) {
	return func(c *imagesvc.ImageConfig) { c.Env = kv }
}

func labels(kv ...string) func(*imagesvc.ImageConfig) {
	return func(c *imagesvc.ImageConfig) {
		c.Labels = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			c.Labels[kv[i]] = kv[i+1]
		}
	}
}

func ports(p ...string) func(*imagesvc.ImageConfig) {
	return func(c *imagesvc.ImageConfig) { c.ExposedPorts = set(p...) }
}

func set(keys ...string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, k := range keys {
		m[k] = struct{}{}
	}
	return m
}
