package imagesvc

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
)

// Changes are Dockerfile instructions to apply to the config of an imported image (the
// repeatable changes parameter of POST /images/create). The zero value changes nothing.
//
// The instructions Docker allows on commit and import are accepted, case-insensitively:
// CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME and
// WORKDIR. Lines are joined with newlines and read as a Dockerfile: a trailing backslash
// continues a line, lines starting with # are comments. Variables ($VAR) are not expanded.
type Changes struct {
	lines []string
	steps []func(*ImageConfig, *changeState)
}

type changeState struct{ cmdSet bool }

// ParseChanges parses change instructions. Errors are of class InvalidArgument: "<X> is
// not a valid change command" for any other instruction, and a description of the
// problem for malformed arguments.
func ParseChanges(changes []string) (Changes, error) {
	var c Changes
	for _, line := range logicalLines(strings.Join(changes, "\n")) {
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		step, err := parseInstruction(instr, rest)
		if err != nil {
			return Changes{}, err
		}
		c.lines = append(c.lines, line)
		c.steps = append(c.steps, step)
	}
	return c, nil
}

// Lines returns the instructions, one per logical line, so that a transport can send them
// on and the far side parse them again with [ParseChanges].
func (c Changes) Lines() []string { return append([]string(nil), c.lines...) }

// Len returns the number of instructions.
func (c Changes) Len() int { return len(c.lines) }

// Apply applies the instructions to cfg, in order.
func (c Changes) Apply(cfg *ImageConfig) {
	var st changeState
	for _, step := range c.steps {
		step(cfg, &st)
	}
}

// logicalLines splits a Dockerfile text into instructions: continuation lines joined,
// comments and blank lines dropped, leading white space trimmed.
func logicalLines(text string) []string {
	var out []string
	var cur strings.Builder
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimRight(raw, " \t\r")
		if cur.Len() == 0 {
			line = strings.TrimLeft(line, " \t")
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`))
			continue
		}
		cur.WriteString(line)
		out = append(out, strings.TrimSpace(cur.String()))
		cur.Reset()
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func invalidf(format string, args ...any) error {
	return errdefs.ErrInvalidArgument.WithMessage(fmt.Sprintf(format, args...))
}

func parseInstruction(instr, rest string) (func(*ImageConfig, *changeState), error) {
	name := strings.ToUpper(instr)
	switch name {
	case "CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD",
		"STOPSIGNAL", "USER", "VOLUME", "WORKDIR":
	default:
		return nil, invalidf("%s is not a valid change command", instr)
	}
	if rest == "" && name != "CMD" && name != "ENTRYPOINT" {
		return nil, invalidf("%s requires at least one argument", name)
	}
	switch name {
	case "CMD":
		args := commandArgs(rest)
		return func(c *ImageConfig, st *changeState) {
			c.Cmd = shellForm(c, args, rest)
			st.cmdSet = true
		}, nil
	case "ENTRYPOINT":
		args := commandArgs(rest)
		return func(c *ImageConfig, st *changeState) {
			c.Entrypoint = shellForm(c, args, rest)
			if !st.cmdSet {
				c.Cmd = nil
			}
		}, nil
	case "ENV":
		kvs, err := keyValues(name, rest)
		if err != nil {
			return nil, err
		}
		return func(c *ImageConfig, _ *changeState) {
			for _, kv := range kvs {
				c.Env = setEnv(c.Env, kv[0], kv[1])
			}
		}, nil
	case "LABEL":
		kvs, err := keyValues(name, rest)
		if err != nil {
			return nil, err
		}
		return func(c *ImageConfig, _ *changeState) {
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			for _, kv := range kvs {
				c.Labels[kv[0]] = kv[1]
			}
		}, nil
	case "EXPOSE":
		var ports []string
		for _, p := range strings.Fields(rest) {
			expanded, err := expandPort(p)
			if err != nil {
				return nil, err
			}
			ports = append(ports, expanded...)
		}
		return func(c *ImageConfig, _ *changeState) {
			if c.ExposedPorts == nil {
				c.ExposedPorts = map[string]struct{}{}
			}
			for _, p := range ports {
				c.ExposedPorts[p] = struct{}{}
			}
		}, nil
	case "HEALTHCHECK":
		hc, err := parseHealthcheck(rest)
		if err != nil {
			return nil, err
		}
		return func(c *ImageConfig, _ *changeState) { h := *hc; c.Healthcheck = &h }, nil
	case "ONBUILD":
		trigger, triggerRest, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(trigger) {
		case "ONBUILD", "FROM", "MAINTAINER":
			return nil, invalidf("%s isn't allowed as an ONBUILD trigger", trigger)
		case "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL",
			"RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR":
		default:
			return nil, invalidf("unknown instruction: %s", trigger)
		}
		line := strings.ToUpper(trigger) + " " + strings.TrimSpace(triggerRest)
		return func(c *ImageConfig, _ *changeState) { c.OnBuild = append(c.OnBuild, strings.TrimSpace(line)) }, nil
	case "STOPSIGNAL":
		return func(c *ImageConfig, _ *changeState) { c.StopSignal = rest }, nil
	case "USER":
		return func(c *ImageConfig, _ *changeState) { c.User = rest }, nil
	case "VOLUME":
		vols := commandArgs(rest)
		if vols == nil {
			vols = strings.Fields(rest)
		}
		for _, v := range vols {
			if strings.TrimSpace(v) == "" {
				return nil, invalidf("VOLUME specified can not be an empty string")
			}
		}
		return func(c *ImageConfig, _ *changeState) {
			if c.Volumes == nil {
				c.Volumes = map[string]struct{}{}
			}
			for _, v := range vols {
				c.Volumes[v] = struct{}{}
			}
		}, nil
	default: // WORKDIR
		return func(c *ImageConfig, _ *changeState) {
			if path.IsAbs(rest) || c.WorkingDir == "" {
				c.WorkingDir = path.Clean("/" + rest)
				return
			}
			c.WorkingDir = path.Join(c.WorkingDir, rest)
		}, nil
	}
}

// commandArgs returns the exec-form (JSON array) arguments of rest, or nil when rest is in
// shell form.
func commandArgs(rest string) []string {
	if !strings.HasPrefix(rest, "[") {
		return nil
	}
	var args []string
	if err := json.Unmarshal([]byte(rest), &args); err != nil {
		return nil
	}
	if args == nil {
		args = []string{}
	}
	return args
}

// shellForm returns exec-form args as they are, or wraps a shell-form command in the
// config's shell (default /bin/sh -c).
func shellForm(c *ImageConfig, args []string, rest string) []string {
	if args != nil {
		return args
	}
	if rest == "" {
		return nil
	}
	shell := c.Shell
	if len(shell) == 0 {
		shell = []string{"/bin/sh", "-c"}
	}
	return append(append([]string(nil), shell...), rest)
}

// keyValues parses ENV and LABEL arguments: key=value pairs (values may be quoted), or the
// legacy "key value" form.
func keyValues(instr, rest string) ([][2]string, error) {
	words, err := splitWords(rest)
	if err != nil {
		return nil, invalidf("%s: %v", instr, err)
	}
	if len(words) == 0 {
		return nil, invalidf("%s requires at least one argument", instr)
	}
	if !strings.Contains(words[0].raw, "=") {
		key, value, _ := strings.Cut(rest, " ")
		value = strings.TrimSpace(value)
		if value == "" {
			return nil, invalidf("%s must have two arguments", instr)
		}
		return [][2]string{{key, unquote(value)}}, nil
	}
	var out [][2]string
	for _, w := range words {
		if !strings.Contains(w.raw, "=") {
			return nil, invalidf("%s names can not be blank or contain whitespace: %s", instr, w.raw)
		}
		k, v, _ := strings.Cut(w.text, "=")
		if k == "" {
			return nil, invalidf("%s names can not be blank", instr)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func unquote(s string) string {
	words, err := splitWords(s)
	if err != nil || len(words) != 1 {
		return s
	}
	return words[0].text
}

type word struct{ raw, text string }

// splitWords splits s at unquoted white space, removing quotes and backslash escapes.
func splitWords(s string) ([]word, error) {
	var out []word
	var raw, text strings.Builder
	var quote byte
	inWord := false
	flush := func() {
		if inWord {
			out = append(out, word{raw: raw.String(), text: text.String()})
		}
		raw.Reset()
		text.Reset()
		inWord = false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			raw.WriteByte(ch)
			switch {
			case ch == quote:
				quote = 0
			case ch == '\\' && quote == '"' && i+1 < len(s):
				i++
				raw.WriteByte(s[i])
				text.WriteByte(s[i])
			default:
				text.WriteByte(ch)
			}
		case ch == ' ' || ch == '\t':
			flush()
		case ch == '"' || ch == '\'':
			quote, inWord = ch, true
			raw.WriteByte(ch)
		case ch == '\\' && i+1 < len(s):
			i++
			inWord = true
			raw.WriteByte(ch)
			raw.WriteByte(s[i])
			text.WriteByte(s[i])
		default:
			inWord = true
			raw.WriteByte(ch)
			text.WriteByte(ch)
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unmatched %c quote", quote)
	}
	flush()
	return out, nil
}

func setEnv(env []string, key, value string) []string {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}

// expandPort turns "80", "80/udp" or "8000-8002/tcp" into "port/proto" keys.
func expandPort(p string) ([]string, error) {
	portPart, proto, _ := strings.Cut(p, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return nil, invalidf("invalid proto: %s", proto)
	}
	lo, hi, isRange := strings.Cut(portPart, "-")
	start, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return nil, invalidf("invalid containerPort: %s", p)
	}
	end := start
	if isRange {
		if end, err = strconv.ParseUint(hi, 10, 16); err != nil || end < start {
			return nil, invalidf("invalid containerPort: %s", p)
		}
	}
	var out []string
	for n := start; n <= end; n++ {
		out = append(out, strconv.FormatUint(n, 10)+"/"+proto)
	}
	return out, nil
}

// parseHealthcheck parses HEALTHCHECK [--flag=value ...] CMD ... | NONE.
func parseHealthcheck(rest string) (*HealthConfig, error) {
	hc := &HealthConfig{}
	for strings.HasPrefix(rest, "--") {
		flag, after, _ := strings.Cut(rest, " ")
		rest = strings.TrimSpace(after)
		name, value, ok := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
		if !ok {
			return nil, invalidf("HEALTHCHECK flag --%s needs a value", name)
		}
		if name == "retries" {
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return nil, invalidf("HEALTHCHECK --retries must be a non-negative integer: %s", value)
			}
			hc.Retries = n
			continue
		}
		d, err := time.ParseDuration(value)
		if err != nil || d < 0 {
			return nil, invalidf("HEALTHCHECK --%s: invalid duration %q", name, value)
		}
		switch name {
		case "interval":
			hc.Interval = d
		case "timeout":
			hc.Timeout = d
		case "start-period":
			hc.StartPeriod = d
		case "start-interval":
			hc.StartInterval = d
		default:
			return nil, invalidf("unknown flag: --%s", name)
		}
	}
	kind, cmd, _ := strings.Cut(rest, " ")
	cmd = strings.TrimSpace(cmd)
	switch strings.ToUpper(kind) {
	case "NONE":
		if cmd != "" {
			return nil, invalidf("HEALTHCHECK NONE takes no arguments")
		}
		return &HealthConfig{Test: []string{"NONE"}}, nil
	case "CMD":
		if cmd == "" {
			return nil, invalidf("Missing command after HEALTHCHECK CMD")
		}
		if args := commandArgs(cmd); args != nil {
			hc.Test = append([]string{"CMD"}, args...)
		} else {
			hc.Test = []string{"CMD-SHELL", cmd}
		}
		return hc, nil
	default:
		return nil, invalidf("Unknown type %q in HEALTHCHECK (try CMD)", kind)
	}
}
