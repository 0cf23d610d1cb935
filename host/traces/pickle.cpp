// pickle.cpp: FaasCache's pickled traces read natively. A pickle is a program for a small
// stack machine; this file implements the data-only subset FaasCache's traces need (protocols
// 2-5: numbers, strings, tuples, lists, dicts, memo, MARK) plus construction of exactly one class,
// LambdaData.LambdaData, whose objects are plain attribute records. Any other global, opcode
// outside the subset, or malformed input is a TraceError naming the file and byte offset.
//
// All values live in arenas owned by the machine and refer to each other by index, so there is no
// recursion anywhere (deeply nested or cyclic input cannot overflow the stack or leak).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "file_read.hpp"
#include "keepwarm/traces/formats.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

namespace {

enum class Kind : uint8_t {
  none,
  boolean,
  integer,
  real,
  str,
  bytes,
  tuple,
  list,
  dict,
  cls,
  object
};

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::none:
      return "None";
    case Kind::boolean:
      return "bool";
    case Kind::integer:
      return "int";
    case Kind::real:
      return "float";
    case Kind::str:
      return "str";
    case Kind::bytes:
      return "bytes";
    case Kind::tuple:
      return "tuple";
    case Kind::list:
      return "list";
    case Kind::dict:
      return "dict";
    case Kind::cls:
      return "class LambdaData";
    case Kind::object:
      return "LambdaData object";
  }
  return "?";
}

struct Value {
  Kind kind = Kind::none;
  int64_t i = 0;  // boolean, integer; index into strings (str, bytes) or nodes (containers)
  double d = 0;   // real
};

// A tuple, list or dict (items alternate key, value), or an object (items: its attribute dict,
// alternating name, value; REDUCE's positional arguments become named items).
struct Node {
  std::vector<Value> items;
};

constexpr size_t kMaxMemo = 1u << 26;

class Machine {
 public:
  Machine(std::string_view bytes, const fs::path& file) : in_(bytes), file_(file) {}

  Value run() {
    while (true) {
      op_pos_ = pos_;
      const uint8_t op = u8();
      switch (op) {
        case 0x80: {  // PROTO
          const uint8_t proto = u8();
          if (proto < 2 || proto > 5) fail("unsupported pickle protocol " + std::to_string(proto));
          break;
        }
        case 0x95:
          take(8);
          break;     // FRAME: a length hint only
        case '.': {  // STOP
          if (stack_.size() != 1 || !marks_.empty())
            fail("STOP with " + std::to_string(stack_.size()) + " values on the stack");
          return stack_.back();
        }
        case '(':
          marks_.push_back(stack_.size());
          break;
        case '0':
          pop();
          break;  // POP
        case '1':
          pop_mark();
          break;
        case '2':
          push(top());
          break;  // DUP
        case 'N':
          push({Kind::none});
          break;
        case 0x88:
          push({Kind::boolean, 1});
          break;
        case 0x89:
          push({Kind::boolean, 0});
          break;
        case 'K':
          push({Kind::integer, u8()});
          break;
        case 'M':
          push({Kind::integer, le<uint16_t>()});
          break;
        case 'J':
          push({Kind::integer, static_cast<int32_t>(le<uint32_t>())});
          break;
        case 0x8a: {  // LONG1
          const uint8_t n = u8();
          if (n > 8) fail("integer of " + std::to_string(n) + " bytes is too large");
          const std::string_view b = take(n);
          uint64_t v = 0;
          for (size_t k = 0; k < n; ++k) v |= uint64_t{static_cast<uint8_t>(b[k])} << (8 * k);
          if (n > 0 && n < 8 && (static_cast<uint8_t>(b[n - 1]) & 0x80))
            v |= ~uint64_t{0} << (8 * n);
          push({Kind::integer, static_cast<int64_t>(v)});
          break;
        }
        case 'G': {  // BINFLOAT, big-endian
          uint64_t bits = 0;
          for (char c : take(8)) bits = (bits << 8) | static_cast<uint8_t>(c);
          push({Kind::real, 0, std::bit_cast<double>(bits)});
          break;
        }
        case 0x8c:
          push_string(Kind::str, u8());
          break;  // SHORT_BINUNICODE
        case 'X':
          push_string(Kind::str, le<uint32_t>());
          break;
        case 0x8d:
          push_string(Kind::str, le<uint64_t>());
          break;
        case 'C':
          push_string(Kind::bytes, u8());
          break;  // SHORT_BINBYTES
        case 'B':
          push_string(Kind::bytes, le<uint32_t>());
          break;
        case 0x8e:
          push_string(Kind::bytes, le<uint64_t>());
          break;
        case 'U':
          push_string(Kind::str, u8());
          break;  // SHORT_BINSTRING (py2 str)
        case 'T':
          push_string(Kind::str, le<uint32_t>());
          break;
        case ')':
          push(container(Kind::tuple));
          break;
        case ']':
          push(container(Kind::list));
          break;
        case '}':
          push(container(Kind::dict));
          break;
        case 0x85:
          tuple_of(1);
          break;
        case 0x86:
          tuple_of(2);
          break;
        case 0x87:
          tuple_of(3);
          break;
        case 't': {
          const size_t m = pop_mark();
          tuple_from(m);
          break;
        }
        case 'l': {
          const size_t m = pop_mark();
          const Value v = container(Kind::list);
          move_items(m, v);
          push(v);
          break;
        }
        case 'd': {
          const size_t m = pop_mark();
          if ((stack_.size() - m) % 2 != 0) fail("DICT with an odd number of items");
          const Value v = container(Kind::dict);
          move_items(m, v);
          push(v);
          break;
        }
        case 'a': {  // APPEND
          const Value item = pop();
          node_of(top(), Kind::list, "APPEND").items.push_back(item);
          break;
        }
        case 'e': {  // APPENDS
          const size_t m = pop_mark();
          if (m == 0) fail("APPENDS without a list");
          node_of(stack_[m - 1], Kind::list, "APPENDS");
          move_items(m, stack_[m - 1]);
          break;
        }
        case 's': {  // SETITEM
          const Value value = pop();
          const Value key = pop();
          Node& n = node_of(top(), Kind::dict, "SETITEM");
          n.items.push_back(key);
          n.items.push_back(value);
          break;
        }
        case 'u': {  // SETITEMS
          const size_t m = pop_mark();
          if (m == 0) fail("SETITEMS without a dict");
          node_of(stack_[m - 1], Kind::dict, "SETITEMS");
          if ((stack_.size() - m) % 2 != 0) fail("SETITEMS with an odd number of items");
          move_items(m, stack_[m - 1]);
          break;
        }
        case 0x94:
          memo_put(memo_.size());
          break;  // MEMOIZE
        case 'q':
          memo_put(u8());
          break;  // BINPUT
        case 'r':
          memo_put(le<uint32_t>());
          break;  // LONG_BINPUT
        case 'h':
          memo_get(u8());
          break;  // BINGET
        case 'j':
          memo_get(le<uint32_t>());
          break;     // LONG_BINGET
        case 'c': {  // GLOBAL "module\nname\n"
          const std::string module(line());
          const std::string name(line());
          push(global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          const Value name = pop();
          const Value module = pop();
          if (module.kind != Kind::str || name.kind != Kind::str)
            fail("STACK_GLOBAL needs two strings");
          push(global(strings_[module.i], strings_[name.i]));
          break;
        }
        case 0x81: {  // NEWOBJ cls args
          const Value args = pop();
          const Value cls = pop();
          if (cls.kind != Kind::cls) fail("NEWOBJ of a " + std::string(kind_name(cls.kind)));
          if (args.kind != Kind::tuple || !nodes_[args.i].items.empty())
            fail("NEWOBJ of LambdaData with arguments (expected an empty tuple)");
          push(container(Kind::object));
          break;
        }
        case 'R': {  // REDUCE callable args: only LambdaData(kind, mem_size, run_time, warm_time)
          const Value args = pop();
          const Value cls = pop();
          if (cls.kind != Kind::cls) fail("REDUCE of a " + std::string(kind_name(cls.kind)));
          if (args.kind != Kind::tuple) fail("REDUCE arguments are not a tuple");
          const std::vector<Value> a = nodes_[args.i].items;
          if (!a.empty() && a.size() != 4)
            fail("LambdaData takes (kind, mem_size, run_time, warm_time), got " +
                 std::to_string(a.size()) + " arguments");
          const Value obj = container(Kind::object);
          static const char* const names[] = {"kind", "mem_size", "run_time", "warm_time"};
          for (size_t k = 0; k < a.size(); ++k) {
            nodes_[obj.i].items.push_back(make_string(names[k]));
            nodes_[obj.i].items.push_back(a[k]);
          }
          push(obj);
          break;
        }
        case 'b': {  // BUILD obj state
          const Value state = pop();
          const Value obj = top();
          if (obj.kind != Kind::object) fail("BUILD on a " + std::string(kind_name(obj.kind)));
          if (state.kind != Kind::dict)
            fail("BUILD state is a " + std::string(kind_name(state.kind)) + ", expected a dict");
          const std::vector<Value> items = nodes_[state.i].items;
          for (size_t k = 0; k < items.size(); k += 2)
            if (items[k].kind != Kind::str) fail("BUILD state has a non-string attribute name");
          auto& dst = nodes_[obj.i].items;
          dst.insert(dst.end(), items.begin(), items.end());
          break;
        }
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(std::string("opcode ") + hex + " is not allowed in a trace pickle");
        }
      }
    }
  }

  // Accessors for the decoder below.
  const Node& node(const Value& v) const { return nodes_[v.i]; }
  const std::string& str(const Value& v) const { return strings_[v.i]; }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw TraceError(file_, 0, 0, "pickle, byte " + std::to_string(op_pos_) + ": " + what);
  }
  std::string_view take(uint64_t n) {
    if (n > in_.size() - pos_)
      fail("truncated: needs " + std::to_string(n) + " more bytes, file ends at byte " +
           std::to_string(in_.size()));
    const std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  uint8_t u8() {
    if (pos_ >= in_.size()) {
      op_pos_ = pos_;
      fail("truncated: file ends before STOP");
    }
    return static_cast<uint8_t>(in_[pos_++]);
  }
  template <typename T>
  T le() {
    const std::string_view b = take(sizeof(T));
    uint64_t v = 0;
    for (size_t k = 0; k < sizeof(T); ++k) v |= uint64_t{static_cast<uint8_t>(b[k])} << (8 * k);
    return static_cast<T>(v);
  }
  std::string_view line() {
    const size_t nl = in_.find('\n', pos_);
    if (nl == std::string_view::npos) fail("truncated GLOBAL");
    const std::string_view s = in_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return s;
  }
  void push(const Value& v) { stack_.push_back(v); }
  Value pop() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size()))
      fail("stack underflow");
    const Value v = stack_.back();
    stack_.pop_back();
    return v;
  }
  const Value& top() {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size()))
      fail("stack underflow");
    return stack_.back();
  }
  size_t pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    return m;
  }
  Value make_string(std::string_view s) {
    strings_.emplace_back(s);
    return {Kind::str, static_cast<int64_t>(strings_.size() - 1)};
  }
  void push_string(Kind kind, uint64_t n) {
    Value v = make_string(take(n));
    v.kind = kind;
    push(v);
  }
  Value container(Kind kind) {
    nodes_.emplace_back();
    return {kind, static_cast<int64_t>(nodes_.size() - 1)};
  }
  Node& node_of(const Value& v, Kind kind, const char* op) {
    if (v.kind != kind)
      fail(std::string(op) + " on a " + kind_name(v.kind) + ", expected a " + kind_name(kind));
    return nodes_[v.i];
  }
  void move_items(size_t from, const Value& into) {
    auto& items = nodes_[into.i].items;
    items.insert(items.end(), stack_.begin() + static_cast<ptrdiff_t>(from), stack_.end());
    stack_.resize(from);
  }
  void tuple_from(size_t from) {
    const Value v = container(Kind::tuple);
    move_items(from, v);
    push(v);
  }
  void tuple_of(size_t n) {
    const size_t floor = marks_.empty() ? 0 : marks_.back();
    if (stack_.size() - floor < n) fail("stack underflow");
    tuple_from(stack_.size() - n);
  }
  void memo_put(uint64_t index) {
    // Python numbers memo slots 0, 1, 2, ...; a slot beyond the file's size cannot be honest
    // and would only make us allocate.
    if (index >= kMaxMemo || index > in_.size() + 1024)
      fail("memo index " + std::to_string(index) + " too large");
    if (index >= memo_.size()) {
      memo_.resize(index + 1);
      present_.resize(index + 1, false);
    }
    memo_[index] = top();
    present_[index] = true;
  }
  void memo_get(uint64_t index) {
    if (index >= memo_.size() || !present_[index])
      fail("memo entry " + std::to_string(index) + " was never stored");
    push(memo_[index]);
  }
  Value global(std::string_view module, std::string_view name) {
    if (module != "LambdaData" || name != "LambdaData")
      fail("global '" + std::string(module) + "." + std::string(name) +
           "' refused: only LambdaData.LambdaData may be constructed");
    return {Kind::cls};
  }

  std::string_view in_;
  const fs::path& file_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  std::vector<Value> stack_;
  std::vector<size_t> marks_;
  std::vector<Value> memo_;
  std::vector<bool> present_;
  std::vector<Node> nodes_;
  std::vector<std::string> strings_;
};

struct Decoder {
  const Machine& vm;
  const fs::path& file;

  [[noreturn]] void fail(const std::string& what) const {
    throw TraceError(file, 0, 0, "pickle structure: " + what);
  }
  // `what` names the value in an error: a string, or a callable making one, so that the hot
  // per-invocation path builds no text unless it fails.
  template <class What>
  double number(const Value& v, const What& what) const {
    if (v.kind == Kind::integer) return static_cast<double>(v.i);
    if (v.kind == Kind::real && std::isfinite(v.d)) return v.d;
    fail(text(what) + " is a " + kind_name(v.kind) + ", expected a finite number");
  }
  template <class What>
  uint32_t memory(const Value& v, const What& what) const {
    const double m = std::ceil(number(v, what));
    if (m <= 0 || m > 4294967295.0) fail(text(what) + " must be > 0, got " + std::to_string(m));
    return static_cast<uint32_t>(m);
  }
  template <class What>
  double duration(const Value& v, const What& what) const {
    const double d = number(v, what);
    if (d < 0) fail(text(what) + " must be >= 0");
    return d;
  }

 private:
  static const std::string& text(const std::string& s) { return s; }
  template <class F>
  static std::string text(const F& make) {
    return make();
  }
};

}  // namespace

Trace decode_pickle_trace(std::string_view bytes, const fs::path& file) {
  Machine vm(bytes, file);
  const Value root = vm.run();
  const Decoder dec{vm, file};
  if (root.kind != Kind::tuple || vm.node(root).items.size() != 2)
    dec.fail("expected a (lambdas, trace) tuple, got a " + std::string(kind_name(root.kind)));
  const Value lambdas = vm.node(root).items[0];
  const Value invocations = vm.node(root).items[1];
  if (lambdas.kind != Kind::dict) dec.fail("lambdas is a " + std::string(kind_name(lambdas.kind)));
  if (invocations.kind != Kind::list)
    dec.fail("trace is a " + std::string(kind_name(invocations.kind)));

  Trace trace;
  trace.name = file.stem().string();
  std::unordered_map<std::string, uint32_t> index;
  std::vector<bool> from_object;  // function's data came from a LambdaData object
  // Functions listed in `lambdas`, in dict order: name -> (name, memory, cold, warm).
  const auto& entries = vm.node(lambdas).items;
  for (size_t k = 0; k < entries.size(); k += 2) {
    const Value key = entries[k], val = entries[k + 1];
    if (key.kind != Kind::str) dec.fail("a lambdas key is a " + std::string(kind_name(key.kind)));
    const std::string& name = vm.str(key);
    if (const std::string problem = function_name_problem(name); !problem.empty())
      dec.fail("the lambdas key '" + name + "' " + problem + " (function names must be printable)");
    if (val.kind != Kind::tuple || vm.node(val).items.size() != 4)
      dec.fail("lambdas['" + name + "'] is not a (name, memory, cold, warm) tuple");
    const auto& t = vm.node(val).items;
    Function f{name, dec.memory(t[1], "lambdas['" + name + "'] memory"),
               dec.duration(t[2], "lambdas['" + name + "'] cold"),
               dec.duration(t[3], "lambdas['" + name + "'] warm")};
    const auto [it, inserted] = index.emplace(name, static_cast<uint32_t>(trace.functions.size()));
    if (inserted) {
      trace.functions.push_back(std::move(f));
      from_object.push_back(false);
    } else {
      trace.functions[it->second] = std::move(f);  // a later key wins, as in Python
    }
  }

  // Each distinct LambdaData object is decoded once (they are shared through the memo).
  std::unordered_map<int64_t, uint32_t> object_function;
  const auto& list = vm.node(invocations).items;
  trace.times.reserve(list.size());
  trace.function_of.reserve(list.size());
  double last = -INFINITY;
  for (size_t k = 0; k < list.size(); ++k) {
    const Value pair = list[k];
    const auto where = [k] { return "trace[" + std::to_string(k) + "]"; };
    if (pair.kind != Kind::tuple || vm.node(pair).items.size() != 2)
      dec.fail(where() + " is not a (LambdaData, time) pair");
    const Value obj = vm.node(pair).items[0];
    if (obj.kind != Kind::object)
      dec.fail(where() + "[0] is a " + std::string(kind_name(obj.kind)) + ", not a LambdaData");
    const Value tv = vm.node(pair).items[1];
    const double t = dec.number(tv, [&] { return where() + " time"; });
    if (t < last) dec.fail(where() + " time " + format_number(t) + " goes back in time");
    last = t;
    auto found = object_function.find(obj.i);
    if (found == object_function.end()) {
      const Value* kind = nullptr;
      const Value* mem = nullptr;
      const Value* run = nullptr;
      const Value* warm = nullptr;
      const auto& attrs = vm.node(obj).items;
      for (size_t a = 0; a < attrs.size(); a += 2) {
        const std::string& n = vm.str(attrs[a]);
        if (n == "kind") kind = &attrs[a + 1];
        if (n == "mem_size") mem = &attrs[a + 1];
        if (n == "run_time") run = &attrs[a + 1];
        if (n == "warm_time") warm = &attrs[a + 1];
      }
      if (!kind || !mem || !run || !warm)
        dec.fail(where() + ": LambdaData lacks one of kind, mem_size, run_time, warm_time");
      if (kind->kind != Kind::str) dec.fail(where() + ": LambdaData.kind is not a string");
      const std::string& name = vm.str(*kind);
      if (const std::string problem = function_name_problem(name); !problem.empty())
        dec.fail(where() + ": LambdaData.kind '" + name + "' " + problem +
                 " (function names must be printable)");
      Function f{name, dec.memory(*mem, where() + " mem_size"),
                 dec.duration(*run, where() + " run_time"),
                 dec.duration(*warm, where() + " warm_time")};
      const auto [it, inserted] =
          index.emplace(name, static_cast<uint32_t>(trace.functions.size()));
      if (inserted) {
        trace.functions.push_back(std::move(f));
        from_object.push_back(true);
      } else {
        Function& have = trace.functions[it->second];
        if (from_object[it->second] && (have.memory_mb != f.memory_mb ||
                                        have.cold_ms != f.cold_ms || have.warm_ms != f.warm_ms))
          dec.fail(where() + ": two LambdaData objects of kind '" + name + "' disagree");
        have = std::move(f);  // the invoked object's attributes are authoritative
        from_object[it->second] = true;
      }
      found = object_function.emplace(obj.i, it->second).first;
    }
    trace.times.push_back(t);
    trace.function_of.push_back(found->second);
  }
  return trace;
}

Trace load_pickle_trace(const fs::path& file) {
  return decode_pickle_trace(read_trace_bytes(file), file);
}

}  // namespace keepwarm
