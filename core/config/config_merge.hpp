// A stack file over the built-in defaults: it need only say what differs.
//
// The rules are Helm's for values files, which many users already know:
// mappings merge key by key, anything else (a list, a value) replaces what
// it stands for, and a key set to null removes the inherited entry. One rule
// is berth's own: a mapping that names another plugin (`driver:` or
// `plugin:`) does not inherit the old plugin's `options:`, which would not
// fit the new one.
#pragma once

#include "config/config_node.hpp"

namespace berth {

// over merged onto base. Nodes taken from base keep their locations (and so
// their inherited mark); a mapping both have takes over's location.
ConfigNode merge_config(const ConfigNode &base, const ConfigNode &over);

// Marks every location in node as inherited, so diagnostics about it name
// the built-in default stack rather than the file merged over it.
void mark_inherited(ConfigNode &node);

} // namespace berth
