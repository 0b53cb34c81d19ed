#include "config/stack_reference.hpp"

#include "plugin/registry.hpp"

#include <algorithm>
#include <sstream>

namespace berth {
namespace {

constexpr const char *kStackSections = R"md(# Stack file reference

A stack file composes plugins into an engine. It is YAML:

```yaml
apiVersion: berth/v1
kind: Stack
root: /var/lib/berth
plugins: { paths: [/usr/local/lib/berth/plugins] }
storage: { driver: NAME, options: {} }
runtime:
  default: NAME
  backends:
    NAME: {}                                  # the plugin of the same name
    OTHER: { plugin: NAME, options: {} }      # or an explicit plugin
network:
  default: NAME
  networks:
    - { name: NAME, driver: PLUGIN, subnet: CIDR, gateway: IP, internal: false, options: {} }
scheduler:
  profiles:
    - name: default
      filters: [PLUGIN, ...]
      scores: [{ plugin: PLUGIN, weight: 1 }]
      args: { PLUGIN: { option: value } }
      percentageOfNodesToScore: 0             # 0: adaptive, as kube-scheduler
logging: { level: info, format: text }
```

berth reads the stack named by `--stack FILE`, else `$BERTH_STACK`, else
`/etc/berth/stack.yaml`, else its built-in default
(`examples/stacks/default.yaml`). Check one with `berth config validate FILE`;
see the effective result, defaults filled in, with `berth config show`.

## A stack file says only what differs

A stack file is merged over the built-in default, so it need only name what
it changes. The rules are those of Helm's values files:

- mappings merge key by key: `runtime: { default: crun }` keeps the default's
  backends and picks crun; `runtime: { backends: { crun: { options: { root: /x } } } }`
  keeps crun's plugin and `binary` and adds `root`;
- a list or a value replaces what it stands for: `network: { networks: [...] }`
  is the whole list of networks, and `scheduler: { profiles: [...] }` the whole
  list of profiles;
- a key set to `null` removes what the default had there: `scheduler: null`
  leaves no scheduler, `runtime: { backends: { runc: null } }` no runc backend
  (on a name the default lacks, `NAME: null` still means the plugin of that name);
- a mapping that names another plugin (`driver:` or `plugin:`) does not inherit
  the old plugin's `options`;
- when the default's `default:` names a backend or network the file took
  away, the file's own single entry is the default, or the file must say
  which one is.

`apiVersion` and `kind` are always the file's own. An error in something the
file inherited names `(built-in default)` and the line in
`examples/stacks/default.yaml`.

Every error names the file, line, column and key path, for example
`stack.yaml:7:11: storage.driver: no storage plugin named 'overlay3' (have: overlay2, vfs)`.
A stack loads whole or not at all.

## Top-level keys

| key | type | default | meaning |
|---|---|---|---|
| `apiVersion` | string | required | must be `berth/v1` |
| `kind` | string | required | must be `Stack` |
| `root` | absolute path | `/var/lib/berth` | all engine state; `--root` overrides it |
| `plugins.paths` | list of directories | `[]` | where to look for plugin libraries (`*.so`), relative to the stack file; berth's own plugin directory is always searched last |
| `storage` | mapping | overlay2 | `driver`: a storage plugin; `options`: its options |
| `runtime` | mapping | namespaces, crun, runc | `backends`: name to `{plugin, options}`; `default`: one of the names (optional with a single backend) |
| `network` | mapping | bridge, host, none | `networks`: list of `{name, driver, subnet, gateway, internal, options}` (subnet, gateway and internal as `berth network create` takes them; a subnet from IPAM's default range when absent); `default`: one of the names (optional with a single network) |
| `scheduler` | mapping | default, constrained | `profiles`: list of `{name, filters, scores, args, percentageOfNodesToScore}`; a score's `weight` is 1 to 100; `percentageOfNodesToScore` is 0 (adaptive, as Kubernetes) to 100 |
| `logging.level` | string | `info` | `trace`, `debug`, `info`, `warn` or `error`; `--log-level` overrides it |
| `logging.format` | string | `text` | `text` or `json` (one JSON object per line) |

Every driver section may be removed with `null`. A command that needs a kind
of driver the stack does not configure fails with one line naming the
missing section.
)md";

std::string escape_cell(const std::string &text) {
  std::string out;
  for (char c : text) {
    out += c == '|' ? std::string("\\|") : std::string(1, c);
  }
  return out;
}

std::string default_cell(const OptionSpec &option) {
  if (!option.default_value) {
    return "required";
  }
  return "`" + escape_cell(option.default_value->dump()) + "`";
}

std::string type_cell(const OptionSpec &option) {
  std::string type(option_type_name(option.type));
  if (!option.choices.empty()) {
    std::string choices;
    for (const auto &choice : option.choices) {
      choices += (choices.empty() ? "" : ", ") + std::string("`") + choice + "`";
    }
    type += " (one of " + choices + ")";
  }
  return type;
}

void write_plugin(std::ostringstream &out, const PluginInfo &info) {
  out << "\n### " << info.name << "\n\n";
  out << escape_cell(info.description) << " (version " << info.version << ")\n\n";
  if (info.options.empty()) {
    out << "No options.\n";
    return;
  }
  out << "| option | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto &option : info.options) {
    out << "| `" << option.name << "` | " << type_cell(option) << " | " << default_cell(option)
        << " | " << escape_cell(option.doc) << " |\n";
  }
}

} // namespace

std::string stack_reference_markdown(const PluginRegistry &registry) {
  std::ostringstream out;
  out << kStackSections;
  out << "\n## Plugins\n\nThe options each plugin takes, as loaded by this berth. Regenerate this "
         "page with\n`berth config reference > docs/stack.md`.\n";
  for (const auto kind : kAllPluginKinds) {
    out << "\n## " << kind_name(kind) << " plugins\n";
    // Skipped plugins are documented too: whether this host can run one
    // should not change the reference.
    std::vector<const PluginInfo *> documented;
    for (const auto &entry : registry.entries()) {
      if (entry.status != PluginStatus::refused && entry.info->kind == kind) {
        documented.push_back(&*entry.info);
      }
    }
    std::sort(documented.begin(), documented.end(),
              [](const auto *a, const auto *b) { return a->name < b->name; });
    for (const auto *info : documented) {
      write_plugin(out, *info);
    }
    if (documented.empty()) {
      out << "\nNone loaded.\n";
    }
  }
  return out.str();
}

} // namespace berth
