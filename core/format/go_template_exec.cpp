#include "format/go_template_exec.hpp"

#include "format/go_template.hpp"
#include "format/go_template_functions.hpp"
#include "format/go_template_value.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace berth::go_template {
namespace {

using json = nlohmann::json;

// A --format template is its user's own program, but one typo ({{range
// 100000000000}}, ranges nested in ranges) should end in an error rather than
// in minutes of work: a run takes at most this many steps (nodes and range
// iterations). Printing a container with a table of its mounts takes dozens.
constexpr std::uint64_t kMaxSteps = 4'000'000;

class Executor {
public:
  Executor(const Tree &tree, const json &data) : source_(tree.source) {
    variables_.emplace_back("$", data);
  }

  std::string run(const std::vector<Node> &nodes, const json &dot) {
    std::string out;
    walk(nodes, dot, out);
    return out;
  }

private:
  // How a list of nodes ended: normally, or at {{break}} / {{continue}}.
  enum class Flow { normal, break_, continue_ };

  Flow walk(const std::vector<Node> &nodes, const json &dot, std::string &out) {
    for (const auto &node : nodes) {
      const auto flow = step(node, dot, out);
      if (flow != Flow::normal) {
        return flow;
      }
    }
    return Flow::normal;
  }

  Flow step(const Node &node, const json &dot, std::string &out) {
    count_step(node.pos);
    switch (node.kind) {
    case Node::Kind::text: print(out, node.text, node.pos); return Flow::normal;
    case Node::Kind::action: {
      const auto value = eval_pipeline(node.pipeline, dot, true);
      if (node.pipeline.variables.empty()) {
        print(out, print_value(value), node.pos);
      }
      return Flow::normal;
    }
    case Node::Kind::if_:
    case Node::Kind::with: return branch(node, dot, out);
    case Node::Kind::range: return range(node, dot, out);
    case Node::Kind::break_: return Flow::break_;
    case Node::Kind::continue_: return Flow::continue_;
    }
    return Flow::normal;
  }

  // {{if}} runs its body with the same dot, {{with}} with the value as dot.
  Flow branch(const Node &node, const json &dot, std::string &out) {
    const auto mark = variables_.size();
    const auto value = eval_pipeline(node.pipeline, dot, true);
    Flow flow = Flow::normal;
    if (is_true(value)) {
      flow = walk(node.body, node.kind == Node::Kind::with ? value : dot, out);
    } else {
      flow = walk(node.otherwise, dot, out);
    }
    variables_.resize(mark);
    return flow;
  }

  Flow range(const Node &node, const json &dot, std::string &out) {
    const auto mark = variables_.size();
    const auto value = eval_pipeline(node.pipeline, dot, false);
    const auto &names = node.pipeline.variables;
    bool any = false;
    auto visit = [&](const json &key, const json &element) {
      count_step(node.pos);
      any = true;
      if (names.size() == 1) {
        variables_.emplace_back(names[0], element);
      } else if (names.size() == 2) {
        variables_.emplace_back(names[0], key);
        variables_.emplace_back(names[1], element);
      }
      const auto flow = walk(node.body, element, out);
      variables_.resize(mark);
      return flow != Flow::break_;
    };
    if (value.is_array()) {
      for (std::size_t i = 0; i < value.size() && visit(i, value[i]); ++i) {
      }
    } else if (value.is_object()) {
      for (const auto &[key, element] : value.items()) {
        if (!visit(key, element)) {
          break;
        }
      }
    } else if (value.is_number_integer()) { // Go 1.22: {{range 3}} counts 0, 1, 2
      for (std::int64_t i = 0; i < value.get<std::int64_t>() && visit(i, i); ++i) {
      }
    } else if (!value.is_null()) {
      const auto &command = node.pipeline.commands.front();
      fail(command, command.pos, "range can't iterate over " + print_value(value));
    }
    if (!any) {
      walk(node.otherwise, dot, out);
      variables_.resize(mark);
    }
    return Flow::normal;
  }

  json eval_pipeline(const Pipeline &pipeline, const json &dot, bool declare) {
    json value;
    const json *piped = nullptr;
    for (const auto &command : pipeline.commands) {
      value = eval_command(command, dot, piped);
      piped = &value;
    }
    if (!declare || pipeline.variables.empty()) {
      return value;
    }
    if (!pipeline.assigns) {
      variables_.emplace_back(pipeline.variables.front(), value);
      return value;
    }
    variable(pipeline.variables.front()) = value;
    return value;
  }

  json eval_command(const Command &command, const json &dot, const json *piped) {
    const auto &first = command.operands.front();
    if (first.kind != Operand::Kind::function) {
      if (command.operands.size() > 1 || piped != nullptr) {
        fail(command, first.pos, "can't give argument to non-function " + command.source);
      }
      return eval_operand(first, dot, command);
    }
    if (first.name == "and" || first.name == "or") {
      return and_or(command, dot, piped);
    }
    std::vector<json> args;
    for (std::size_t i = 1; i < command.operands.size(); ++i) {
      args.push_back(eval_operand(command.operands[i], dot, command));
    }
    if (piped != nullptr) {
      args.push_back(*piped);
    }
    return call(command, first, args);
  }

  json call(const Command &command, const Operand &function, const std::vector<json> &args) {
    json result;
    try {
      result = call_function(function.name, args);
    } catch (const std::invalid_argument &e) {
      fail(command, function.pos, e.what());
    }
    // Values too may only grow so far: `$x = print $x $x` in a range doubles.
    const auto size = result.is_string()       ? result.get_ref<const std::string &>().size()
                      : result.is_structured() ? result.size()
                                               : 0;
    if (size > kMaxText) {
      fail(command, function.pos,
           "error calling " + function.name + ": the result is longer than " +
               std::to_string(kMaxText) + " bytes");
    }
    return result;
  }

  // Go's and/or stop at the first argument that decides the answer.
  json and_or(const Command &command, const json &dot, const json *piped) {
    const bool is_and = command.operands.front().name == "and";
    const auto count = command.operands.size() - 1 + (piped != nullptr ? 1 : 0);
    if (count == 0) {
      fail(command, command.pos,
           "wrong number of args for " + command.operands.front().name + ": want at least 1 got 0");
    }
    json value;
    for (std::size_t i = 0; i < count; ++i) {
      value = i + 1 < command.operands.size() ? eval_operand(command.operands[i + 1], dot, command)
                                              : *piped;
      if (is_true(value) != is_and) {
        return value;
      }
    }
    return value;
  }

  json eval_operand(const Operand &operand, const json &dot, const Command &command) {
    json value;
    switch (operand.kind) {
    case Operand::Kind::literal: return operand.literal;
    case Operand::Kind::function: return call(command, operand, {});
    case Operand::Kind::dot:
    case Operand::Kind::field: value = dot; break;
    case Operand::Kind::variable: value = variable(operand.name); break;
    case Operand::Kind::pipeline: value = eval_pipeline(*operand.pipeline, dot, false); break;
    }
    return fields(std::move(value), operand, command);
  }

  // .A.B: a missing key (or a null on the way) is null, as Go's map lookups
  // give <no value>; a field of anything but an object is an error.
  json fields(json value, const Operand &operand, const Command &command) const {
    for (const auto &name : operand.fields) {
      if (value.is_null()) {
        return value;
      }
      if (!value.is_object()) {
        fail(command, operand.pos, "can't evaluate field " + name + " in type " + type_name(value));
      }
      const auto found = value.find(name);
      value = found == value.end() ? json() : json(*found);
    }
    return value;
  }

  // The innermost variable of that name; the parser let only declared
  // names through.
  json &variable(const std::string &name) {
    const auto found = std::find_if(variables_.rbegin(), variables_.rend(),
                                    [&](const auto &entry) { return entry.first == name; });
    return found == variables_.rend() ? variables_.front().second : found->second;
  }

  void count_step(std::size_t pos) {
    if (++steps_ > kMaxSteps) {
      throw TemplateError(where(source_, pos) + "executing \"\": more than " +
                          std::to_string(kMaxSteps) + " steps; is a range too long?");
    }
  }

  void print(std::string &out, const std::string &text, std::size_t pos) const {
    if (out.size() + text.size() > kMaxText) {
      throw TemplateError(where(source_, pos) + "executing \"\": the output is longer than " +
                          std::to_string(kMaxText) + " bytes");
    }
    out += text;
  }

  [[noreturn]] void fail(const Command &command, std::size_t pos,
                         const std::string &message) const {
    throw TemplateError(where(source_, pos) + "executing \"\" at <" + command.source +
                        ">: " + message);
  }

  const std::string &source_;
  std::vector<std::pair<std::string, json>> variables_;
  std::uint64_t steps_ = 0;
};

} // namespace

std::string execute(const Tree &tree, const json &data) {
  return Executor(tree, data).run(tree.nodes, data);
}

} // namespace berth::go_template
