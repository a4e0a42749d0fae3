package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Profiles: named accounts in a config file.
const (
	envProfile    = "TRAVELROAM_PROFILE"
	envConfigHome = "XDG_CONFIG_HOME"
	configFile    = "config.toml"
)

// profile is one [profiles.NAME] table of the config file.
type profile struct {
	name string
	// values maps the environment variable a setting stands in for
	// (TRAVELROAM_API_KEY…) to its value, refs to the name of the
	// variable that holds it (a "_env" key).
	values, refs map[string]string
	live         bool
}

// profileKeys maps a key of a profile table to the variable it stands
// in for; a "_env" key names a variable holding the value instead.
var profileKeys = map[string]string{
	"api_key":       envAPIKey,
	"client_secret": envClientSecret,
	"base_url":      envBaseURL,
	"journal":       envJournal,
}

// configPath is $XDG_CONFIG_HOME/travelroam/config.toml, else the
// platform's configuration directory (~/.config on Linux).
func (c *cli) configPath() (string, error) {
	if v := c.getenv(envConfigHome); v != "" && filepath.IsAbs(v) {
		return filepath.Join(v, "travelroam", configFile), nil
	}
	if home := c.getenv("HOME"); home != "" && runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		return filepath.Join(home, ".config", "travelroam", configFile), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "travelroam", configFile), nil
}

// takeProfileFlag removes --profile NAME (or --profile=NAME) from args,
// wherever it is, and returns NAME.
func takeProfileFlag(args []string) (name string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return name, append(rest, args[i:]...), nil
		}
		switch {
		case a == "--profile" || a == "-profile":
			if i+1 >= len(args) {
				return "", nil, usagef("--profile needs a profile name")
			}
			name = args[i+1]
			i++
		case strings.HasPrefix(a, "--profile=") || strings.HasPrefix(a, "-profile="):
			name = a[strings.IndexByte(a, '=')+1:]
		default:
			rest = append(rest, a)
		}
	}
	return name, rest, nil
}

// useProfile loads the profile named (by --profile, else
// TRAVELROAM_PROFILE, else the file's "default") and makes c.getenv
// fall back to it: environment variables still win. No name and no file:
// nothing changes.
func (c *cli) useProfile(name string) error {
	if name == "" {
		name = c.getenv(envProfile)
	}
	path, err := c.configPath()
	if err != nil {
		if name == "" {
			return nil
		}
		return usagef("profile %s: no configuration directory: %v", name, err)
	}
	profiles, def, err := readConfig(path)
	if errors.Is(err, fs.ErrNotExist) && name == "" {
		return nil
	}
	if err != nil {
		return err
	}
	if name == "" {
		name = def
	}
	if name == "" {
		return nil
	}
	i := slices.IndexFunc(profiles, func(p profile) bool { return p.name == name })
	if i < 0 {
		return usagef("no profile %q in %s", name, path)
	}
	p := profiles[i]
	env := c.getenv
	c.getenv = func(k string) string {
		if v := env(k); v != "" {
			return v
		}
		return p.value(k, env)
	}
	c.profileLive = p.live
	return nil
}

// value is the profile's value for the environment variable k; ref
// reads the variables a "_env" key names.
func (p profile) value(k string, ref func(string) string) string {
	if k == envLiveBaseURL && p.live {
		k = envBaseURL // a live profile's base_url is the live one
	} else if k == envBaseURL && p.live {
		return ""
	}
	if r, ok := p.refs[k]; ok {
		return ref(r)
	}
	return p.values[k]
}

// profileNames lists the profiles of the config file (for completion).
func (c *cli) profileNames() []string {
	path, err := c.configPath()
	if err != nil {
		return nil
	}
	profiles, _, err := readConfig(path)
	if err != nil {
		return nil
	}
	var names []string
	for _, p := range profiles {
		names = append(names, p.name)
	}
	return names
}

// readConfig reads the config file: refused when group or others may
// read or write it (it may hold credentials).
func readConfig(path string) (profiles []profile, def string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, "", usagef("%s has mode %#o: it may hold credentials, so only its owner may read it: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	return parseConfig(string(data), path)
}

// parseConfig parses the subset of TOML the config file uses: comments,
// [profiles.NAME] tables, and key = "string" lines (plus default =
// "NAME" before the first table).
func parseConfig(text, path string) (profiles []profile, def string, err error) {
	var cur *profile
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		bad := func(format string, args ...any) error {
			return usagef("%s:%d: %s", path, n+1, fmt.Sprintf(format, args...))
		}
		if strings.HasPrefix(line, "[") {
			name, ok := strings.CutPrefix(strings.TrimSuffix(line, "]"), "[profiles.")
			if !ok || !strings.HasSuffix(line, "]") || name == "" {
				return nil, "", bad("want a [profiles.NAME] table")
			}
			profiles = append(profiles, profile{name: strings.Trim(name, `"`), values: map[string]string{}, refs: map[string]string{}})
			cur = &profiles[len(profiles)-1]
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok {
			return nil, "", bad("want key = \"value\"")
		}
		key = strings.TrimSpace(key)
		value, err := strconv.Unquote(stripComment(strings.TrimSpace(raw)))
		if err != nil {
			return nil, "", bad("the value of %s must be a \"quoted string\"", key)
		}
		if err := setKey(&def, cur, key, value); err != nil {
			return nil, "", bad("%v", err)
		}
	}
	return profiles, def, nil
}

// stripComment removes a # comment after a quoted value.
func stripComment(raw string) string {
	if i := strings.LastIndexByte(raw, '"'); i > 0 {
		return raw[:i+1]
	}
	return raw
}

// setKey records key = value in the profile cur (nil: before any table).
func setKey(def *string, cur *profile, key, value string) error {
	if cur == nil {
		if key != "default" {
			return fmt.Errorf("unknown key %s (only default comes before the [profiles.NAME] tables)", key)
		}
		*def = value
		return nil
	}
	if key == "environment" {
		if value != "sandbox" && value != "live" {
			return fmt.Errorf("environment must be \"sandbox\" or \"live\"")
		}
		cur.live = value == "live"
		return nil
	}
	if base, ok := strings.CutSuffix(key, "_env"); ok && profileKeys[base] != "" {
		cur.refs[profileKeys[base]] = value
		return nil
	}
	v, ok := profileKeys[key]
	if !ok {
		return fmt.Errorf("unknown key %s (want environment, base_url, api_key, api_key_env, client_secret, client_secret_env, journal)", key)
	}
	cur.values[v] = value
	return nil
}
