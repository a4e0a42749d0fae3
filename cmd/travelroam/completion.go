package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// errCollected ends a command run only to collect its flags.
var errCollected = errors.New("flags collected")

// completionWord is a command or a flag, with its help.
type completionWord struct{ name, help string }

// commandFlags returns the flags of every command (purchases resolve as
// "purchases resolve"), by running each with collect set: its flag set
// reaches parse, which returns before doing anything.
func (c *cli) commandFlags(ctx context.Context) map[string][]completionWord {
	out := map[string][]completionWord{}
	collect := func(name string, args []string) {
		cc := &cli{sys: c.sys, rawErr: io.Discard, rawOut: io.Discard}
		cc.out, cc.err = io.Discard, io.Discard
		cc.collect = func(fs *flag.FlagSet) {
			fs.VisitAll(func(f *flag.Flag) {
				out[name] = append(out[name], completionWord{"--" + f.Name, firstLine(f.Usage)})
			})
			out[name] = append(out[name], completionWord{"--profile", "use this profile of the config file"})
		}
		for _, cmd := range commands() {
			if cmd.name == strings.Fields(name)[0] {
				_ = cmd.run(ctx, cc, args)
			}
		}
	}
	for _, cmd := range commands() {
		collect(cmd.name, nil)
	}
	collect("purchases resolve", []string{"resolve"})
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.NewReplacer("`", "", "'", "", `"`, "").Replace(s)
}

func runCompletion(ctx context.Context, c *cli, args []string) error {
	f := c.newFlags("completion", false)
	profiles := f.Bool("profiles", false, "print the profile names, one per line (the scripts call it)")
	pos, err := f.parse(c, args, 0, 1)
	if err != nil {
		return err
	}
	if *profiles {
		for _, n := range c.profileNames() {
			c.printf("%s\n", n)
		}
		return nil
	}
	if len(pos) != 1 {
		return usagef("completion: name the shell: bash, zsh or fish")
	}
	gen := map[string]func(io.Writer, []completionWord, map[string][]completionWord){"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}[pos[0]]
	if gen == nil {
		return usagef("completion: %q: want bash, zsh or fish", pos[0])
	}
	var cmds []completionWord
	for _, cmd := range commands() {
		cmds = append(cmds, completionWord{cmd.name, cmd.summary})
	}
	cmds = append(cmds, completionWord{"help", "show the help"}, completionWord{"version", "show the version"})
	gen(c.out, cmds, c.commandFlags(ctx))
	return nil
}

// sortedKeys returns the commands that have flags, in order.
func sortedKeys(m map[string][]completionWord) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func names(words []completionWord) string {
	var b []string
	for _, w := range words {
		b = append(b, w.name)
	}
	return strings.Join(b, " ")
}

func bashCompletion(w io.Writer, cmds []completionWord, flags map[string][]completionWord) {
	fmt.Fprintf(w, `# bash completion for travelroam: source <(travelroam completion bash)
_travelroam() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=${COMP_WORDS[1]}
	if [[ $prev == --profile ]]; then
		COMPREPLY=($(compgen -W "$(travelroam completion --profiles 2>/dev/null)" -- "$cur"))
		return
	fi
	if (( COMP_CWORD == 1 )); then
		COMPREPLY=($(compgen -W "%s" -- "$cur"))
		return
	fi
	if [[ $cmd == purchases && ${COMP_WORDS[2]} == resolve ]]; then
		cmd="purchases resolve"
	fi
	case $cmd in
`, names(cmds))
	for _, k := range sortedKeys(flags) {
		words := names(flags[k])
		if k == "purchases" {
			words = "resolve " + words
		}
		fmt.Fprintf(w, "\t%q) COMPREPLY=($(compgen -W %q -- \"$cur\")) ;;\n", k, words)
	}
	fmt.Fprint(w, "\tesac\n}\ncomplete -o default -F _travelroam travelroam\n")
}

func zshCompletion(w io.Writer, cmds []completionWord, flags map[string][]completionWord) {
	fmt.Fprint(w, "#compdef travelroam\n# zsh completion for travelroam: travelroam completion zsh > \"${fpath[1]}/_travelroam\"\n_travelroam() {\n")
	fmt.Fprint(w, "\tif [[ ${words[CURRENT-1]} == --profile ]]; then\n\t\tcompadd -- ${(f)\"$(travelroam completion --profiles 2>/dev/null)\"}\n\t\treturn\n\tfi\n")
	fmt.Fprint(w, "\tif (( CURRENT == 2 )); then\n\t\tlocal -a cmds\n\t\tcmds=(\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "\t\t\t%s\n", zshQuote(c.name+":"+c.help))
	}
	fmt.Fprint(w, "\t\t)\n\t\t_describe command cmds\n\t\treturn\n\tfi\n\tlocal cmd=${words[2]}\n")
	fmt.Fprint(w, "\t[[ $cmd == purchases && ${words[3]} == resolve ]] && cmd=\"purchases resolve\"\n\tcase $cmd in\n")
	for _, k := range sortedKeys(flags) {
		fmt.Fprintf(w, "\t%s)\n\t\tlocal -a opts\n\t\topts=(\n", zshQuote(k))
		if k == "purchases" {
			fmt.Fprintf(w, "\t\t\t%s\n", zshQuote("resolve:record what became of a purchase"))
		}
		for _, f := range flags[k] {
			fmt.Fprintf(w, "\t\t\t%s\n", zshQuote(strings.ReplaceAll(f.name, ":", `\:`)+":"+f.help))
		}
		fmt.Fprint(w, "\t\t)\n\t\t_describe option opts\n\t\t;;\n")
	}
	fmt.Fprint(w, "\tesac\n}\ncompdef _travelroam travelroam\n")
}

// zshQuote quotes s for zsh in single quotes.
func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func fishCompletion(w io.Writer, cmds []completionWord, flags map[string][]completionWord) {
	fmt.Fprint(w, "# fish completion for travelroam: travelroam completion fish > ~/.config/fish/completions/travelroam.fish\ncomplete -c travelroam -f\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "complete -c travelroam -n __fish_use_subcommand -a %s -d %s\n", c.name, zshQuote(c.help))
	}
	fmt.Fprint(w, "complete -c travelroam -l profile -x -a '(travelroam completion --profiles 2>/dev/null)' -d 'use this profile of the config file'\n")
	for _, k := range sortedKeys(flags) {
		cond := "__fish_seen_subcommand_from " + k
		if k == "purchases resolve" {
			cond = "__fish_seen_subcommand_from resolve"
		} else if k == "purchases" {
			fmt.Fprintf(w, "complete -c travelroam -n %s -a resolve -d 'record what became of a purchase'\n", zshQuote(cond))
		}
		for _, f := range flags[k] {
			if f.name == "--profile" {
				continue
			}
			fmt.Fprintf(w, "complete -c travelroam -n %s -l %s -d %s\n", zshQuote(cond), strings.TrimPrefix(f.name, "--"), zshQuote(f.help))
		}
	}
}
