package imagesvc

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/sys/signal"
)

// Changes are Dockerfile instructions to apply to the config of an imported image (the
// repeatable changes parameter of POST /images/create). The zero value changes nothing.
//
// They are read as Docker reads them (moby's BuildFromConfig): the lines are joined with
// newlines and parsed with BuildKit's Dockerfile parser (continuation lines, comments, the
// escape directive, JSON and shell forms), each instruction is turned into a typed
// instruction by BuildKit's instructions package, and its words are expanded with
// BuildKit's shell lexer against the environment of the config built so far: after
// `ENV A=1`, `ENV B=$A` sets B=1 and `WORKDIR /${A:-x}` sets /1.
//
// The instructions Docker allows on commit and import are accepted, case-insensitively:
// CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME and
// WORKDIR.
type Changes struct {
	lines  []string     // as given, for transports that send them on
	text   string       // the Dockerfile the lines make
	n      int          // number of instructions
	result *ImageConfig // the changes applied to an empty config; nil for the zero value
	typed  bool         // made by ChangesFromConfig: result is all there is
}

// validChangeCommands are the instructions moby accepts in changes (builder.go,
// validCommitCommands).
var validChangeCommands = map[string]bool{
	"cmd": true, "entrypoint": true, "healthcheck": true, "env": true, "expose": true,
	"label": true, "onbuild": true, "stopsignal": true, "user": true, "volume": true,
	"workdir": true,
}

// ParseChanges parses change instructions and applies them to an empty config, as Docker
// does on import, so that every error shows here. Errors are of class InvalidArgument
// with Docker's texts: "<X> is not a valid change command" for any other instruction,
// the parser's or the instruction's own error for malformed arguments (for example
// "ENV names can not be blank", "HEALTHCHECK NONE takes no arguments", "invalid proto:
// xyz", "Invalid signal: SIGBOGUS") and the shell lexer's for a bad expansion.
//
// No lines, or nil, is the zero Changes. Lines that hold no instruction (only comments
// or blanks) are an error, as in Docker: "file with no instructions".
func ParseChanges(changes []string) (Changes, error) {
	if len(changes) == 0 {
		return Changes{}, nil
	}
	text := strings.Join(changes, "\n")
	cmds, escape, err := parseChangeCommands(text)
	if err != nil {
		return Changes{}, err
	}
	var cfg ImageConfig
	if err := dispatchChanges(&cfg, cmds, escape); err != nil {
		return Changes{}, err
	}
	return Changes{lines: slices.Clone(changes), text: text, n: len(cmds), result: &cfg}, nil
}

// ChangesFromConfig returns Changes whose result is cfg: the config that parsed changes
// produce on an empty config ([Changes.Config]). A transport that received that typed
// result (the plugin protocol does) uses it instead of parsing the instructions again.
// Such Changes apply to an empty config only, which is what an import has; their
// [Changes.Lines] are nil and [Changes.Len] is 0.
func ChangesFromConfig(cfg ImageConfig) Changes {
	c := cloneConfig(cfg)
	return Changes{result: &c, typed: true}
}

// Lines returns the instructions as given to [ParseChanges], so that a transport can send
// them on and the far side parse them again.
func (c Changes) Lines() []string { return slices.Clone(c.lines) }

// Len returns the number of instructions.
func (c Changes) Len() int { return c.n }

// Config returns the config the changes produce when applied to an empty config, as an
// import applies them.
func (c Changes) Config() ImageConfig {
	if c.result == nil {
		return ImageConfig{}
	}
	return cloneConfig(*c.result)
}

// Apply applies the instructions to cfg, in order, expanding variables against cfg's
// environment as it grows. On error cfg is left as it was. Errors are of class
// InvalidArgument (an expansion or a value that the base config makes invalid; none
// occur on an empty config, [ParseChanges] has checked it), or FailedPrecondition for
// Changes made with [ChangesFromConfig] applied to a config that is not empty.
func (c Changes) Apply(cfg *ImageConfig) error {
	if c.result == nil {
		return nil
	}
	if c.typed {
		if isEmptyConfig(c.result) {
			return nil
		}
		if !isEmptyConfig(cfg) {
			return errdefs.ErrFailedPrecondition.WithMessage("changes received as a config apply to an empty config only")
		}
		*cfg = cloneConfig(*c.result)
		return nil
	}
	// Parsed again: expansion rewrites the typed instructions in place.
	cmds, escape, err := parseChangeCommands(c.text)
	if err != nil {
		return err
	}
	work := cloneConfig(*cfg)
	if err := dispatchChanges(&work, cmds, escape); err != nil {
		return err
	}
	*cfg = work
	return nil
}

func invalidf(format string, args ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
}

// invalid classes err as InvalidArgument, keeping its text (without the wrapping chain of
// the parser's location errors, whose text is the same).
func invalid(err error) error {
	return errdefs.ErrInvalidArgument.WithMessage(err.Error())
}

func parseChangeCommands(text string) ([]instructions.Command, rune, error) {
	res, err := parser.Parse(strings.NewReader(text))
	if err != nil {
		return nil, 0, invalid(err)
	}
	cmds := make([]instructions.Command, 0, len(res.AST.Children))
	for _, n := range res.AST.Children {
		if !validChangeCommands[strings.ToLower(n.Value)] {
			return nil, 0, invalidf("%s is not a valid change command", n.Value)
		}
		cmd, err := instructions.ParseCommand(n)
		if err != nil {
			return nil, 0, invalid(err)
		}
		cmds = append(cmds, cmd)
	}
	return cmds, res.EscapeToken, nil
}

// dispatchChanges applies cmds to cfg as moby's dispatchers do (daemon/builder/dockerfile
// dispatchers.go, for a Linux image).
func dispatchChanges(cfg *ImageConfig, cmds []instructions.Command, escape rune) error {
	lex := shell.NewLex(escape)
	cmdSet := false
	for _, cmd := range cmds {
		envs := shell.EnvsFromSlice(cfg.Env)
		if ex, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
			err := ex.Expand(func(word string) (string, error) {
				w, _, err := lex.ProcessWord(word, envs)
				return w, err
			})
			if err != nil {
				return invalid(err)
			}
		}
		switch c := cmd.(type) {
		case *instructions.EnvCommand:
			for _, e := range c.Env {
				cfg.Env = setEnv(cfg.Env, e.Key, e.String())
			}
		case *instructions.LabelCommand:
			if cfg.Labels == nil {
				cfg.Labels = map[string]string{}
			}
			for _, l := range c.Labels {
				cfg.Labels[l.Key] = l.Value
			}
		case *instructions.OnbuildCommand:
			cfg.OnBuild = append(cfg.OnBuild, c.Expression)
		case *instructions.WorkdirCommand:
			if c.Path == "" {
				return invalidf("cannot normalize nothing")
			}
			if path.IsAbs(c.Path) {
				cfg.WorkingDir = path.Clean(c.Path)
			} else {
				cfg.WorkingDir = path.Join("/", cfg.WorkingDir, c.Path)
			}
		case *instructions.CmdCommand:
			cfg.Cmd = withShell(cfg, c.ShellDependantCmdLine)
			cfg.ArgsEscaped = false //nolint:staticcheck // Docker resets it on Linux
			if len(c.CmdLine) != 0 {
				cmdSet = true
			}
		case *instructions.EntrypointCommand:
			cfg.Entrypoint = withShell(cfg, c.ShellDependantCmdLine)
			cfg.ArgsEscaped = false //nolint:staticcheck // Docker resets it on Linux
			if !cmdSet {
				cfg.Cmd = nil
			}
		case *instructions.HealthCheckCommand:
			h := c.Health
			cfg.Healthcheck = &HealthConfig{
				Test: slices.Clone(h.Test), Interval: h.Interval, Timeout: h.Timeout,
				StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries,
			}
		case *instructions.ExposeCommand:
			var ports []string
			for _, p := range c.Ports {
				ps, err := lex.ProcessWords(p, envs)
				if err != nil {
					return invalid(err)
				}
				ports = append(ports, ps...)
			}
			exposed, err := exposedPorts(ports)
			if err != nil {
				return invalid(err)
			}
			if cfg.ExposedPorts == nil {
				cfg.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range exposed {
				cfg.ExposedPorts[p] = struct{}{}
			}
		case *instructions.UserCommand:
			cfg.User = c.User
		case *instructions.VolumeCommand:
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			for _, v := range c.Volumes {
				if v == "" {
					return invalidf("VOLUME specified can not be an empty string")
				}
				cfg.Volumes[v] = struct{}{}
			}
		case *instructions.StopSignalCommand:
			if _, err := signal.ParseSignal(c.Signal); err != nil {
				return invalid(err)
			}
			cfg.StopSignal = c.Signal
		default:
			return invalidf("%s is not a valid change command", cmd.Name())
		}
	}
	return nil
}

// withShell returns exec-form args as they are, or a shell-form command after the
// config's shell (default /bin/sh -c).
func withShell(cfg *ImageConfig, cmd instructions.ShellDependantCmdLine) []string {
	if !cmd.PrependShell || cmd.CmdLine == nil {
		return cmd.CmdLine
	}
	sh := slices.Clone(cfg.Shell)
	if len(sh) == 0 {
		sh = []string{"/bin/sh", "-c"}
	}
	return append(sh, cmd.CmdLine...)
}

// setEnv sets key=value (kv) in env, replacing an entry of the same key in place.
func setEnv(env []string, key, kv string) []string {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); shell.EqualEnvKeys(k, key) {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// exposedPorts returns the "port/proto" keys of EXPOSE arguments, read as moby reads a
// port spec ([ip:][hostPort:]containerPort[/proto], a range for either port).
func exposedPorts(specs []string) ([]string, error) {
	var out []string
	for _, raw := range specs {
		ip, hostPort, containerPort := splitPortSpec(raw)
		containerPort, proto, _ := strings.Cut(containerPort, "/")
		if containerPort == "" {
			return nil, fmt.Errorf("no port specified: %s<empty>", raw)
		}
		if proto == "" {
			proto = "tcp"
		}
		proto = strings.ToLower(proto)
		switch proto {
		case "tcp", "udp", "sctp":
		default:
			return nil, errors.New("invalid proto: " + proto)
		}
		if ip != "" && ip[0] == '[' {
			rawIP, _, err := net.SplitHostPort(ip + ":")
			if err != nil {
				return nil, fmt.Errorf("invalid IP address %v: %w", ip, err)
			}
			ip = rawIP
		}
		if ip != "" {
			if _, err := netip.ParseAddr(ip); err != nil {
				return nil, fmt.Errorf("invalid IP address: %w", err)
			}
		}
		pr, err := network.ParsePortRange(containerPort)
		if err != nil {
			return nil, errors.New("invalid containerPort: " + containerPort)
		}
		start, end := pr.Start(), pr.End()
		if hostPort != "" {
			hr, err := network.ParsePortRange(hostPort)
			if err != nil {
				return nil, errors.New("invalid hostPort: " + hostPort)
			}
			if end-start != hr.End()-hr.Start() && end != start {
				return nil, fmt.Errorf("invalid ranges specified for container and host Ports: %s and %s", containerPort, hostPort)
			}
		}
		for p := uint32(start); p <= uint32(end); p++ {
			out = append(out, strconv.FormatUint(uint64(p), 10)+"/"+proto)
		}
	}
	return out, nil
}

// splitPortSpec splits [ip:][hostPort:]containerPort as moby's splitParts does.
func splitPortSpec(raw string) (ip, hostPort, containerPort string) {
	parts := strings.Split(raw, ":")
	switch n := len(parts); n {
	case 1:
		return "", "", parts[0]
	case 2:
		return "", parts[0], parts[1]
	case 3:
		return parts[0], parts[1], parts[2]
	default:
		return strings.Join(parts[:n-2], ":"), parts[n-2], parts[n-1]
	}
}

func cloneConfig(c ImageConfig) ImageConfig {
	out := c
	out.Cmd = slices.Clone(c.Cmd)
	out.Env = slices.Clone(c.Env)
	out.Entrypoint = slices.Clone(c.Entrypoint)
	out.OnBuild = slices.Clone(c.OnBuild)
	out.Shell = slices.Clone(c.Shell)
	out.Volumes = maps.Clone(c.Volumes)
	out.ExposedPorts = maps.Clone(c.ExposedPorts)
	out.Labels = maps.Clone(c.Labels)
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		h.Test = slices.Clone(h.Test)
		out.Healthcheck = &h
	}
	return out
}

func isEmptyConfig(c *ImageConfig) bool {
	return c.User == "" && len(c.ExposedPorts) == 0 && len(c.Env) == 0 && c.Entrypoint == nil &&
		c.Cmd == nil && len(c.Volumes) == 0 && c.WorkingDir == "" && len(c.Labels) == 0 &&
		c.StopSignal == "" && !c.ArgsEscaped && c.Healthcheck == nil && len(c.OnBuild) == 0 && //nolint:staticcheck
		len(c.Shell) == 0
}
