// test_trace_pickle.cpp: the FaasCache pickle reader on the real 20-c trace (when ../shared is
// present) and on small pickles built byte by byte here: valid ones in the shapes Python
// writes, and hostile or broken ones that must be refused with the byte offset.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>

#include "keepwarm/traces/formats.hpp"
#include "test_support.hpp"

using namespace keepwarm;

namespace {

// Emits pickle opcodes.
class Pickle {
 public:
  Pickle& op(unsigned char c) {
    b_ += static_cast<char>(c);
    return *this;
  }
  Pickle& proto(int v = 4) { return op(0x80).op(static_cast<unsigned char>(v)); }
  Pickle& str(const std::string& s) {  // SHORT_BINUNICODE
    op(0x8c).op(static_cast<unsigned char>(s.size()));
    b_ += s;
    return *this;
  }
  Pickle& integer(int64_t v) {
    if (v >= 0 && v < 256) return op('K').op(static_cast<unsigned char>(v));
    if (v >= 0 && v < 65536) return op('M').op(v & 0xff).op((v >> 8) & 0xff);
    op('J');
    for (int k = 0; k < 4; ++k) op(static_cast<unsigned char>((v >> (8 * k)) & 0xff));
    return *this;
  }
  Pickle& real(double d) {
    op('G');
    const auto bits = std::bit_cast<uint64_t>(d);
    for (int k = 7; k >= 0; --k) op(static_cast<unsigned char>((bits >> (8 * k)) & 0xff));
    return *this;
  }
  Pickle& memoize() { return op(0x94); }
  Pickle& get(int i) { return op('h').op(static_cast<unsigned char>(i)); }
  Pickle& raw(const std::string& s) {
    b_ += s;
    return *this;
  }
  const std::string& bytes() const { return b_; }

 private:
  std::string b_;
};

struct Fn {
  std::string name;
  int mem, cold, warm;
};

// A pickle shaped like FaasCache's: ({name: (name, mem, cold, warm)}, [(LambdaData, t), ...])
// with STACK_GLOBAL + EMPTY_TUPLE/NEWOBJ + BUILD and memo sharing of each LambdaData object.
std::string faascache_pickle(const std::vector<Fn>& fns,
                             const std::vector<std::pair<int, double>>& calls,
                             const std::string& module = "LambdaData",
                             const std::string& cls = "LambdaData") {
  Pickle p;
  int memo = 0;
  p.proto().op('}').memoize();
  ++memo;
  p.op('(');
  for (const Fn& f : fns) {
    const int name_memo = memo;
    p.str(f.name).memoize();
    ++memo;
    p.op('(').get(name_memo).integer(f.mem).integer(f.cold).integer(f.warm).op('t').memoize();
    ++memo;
  }
  p.op('u').op(']').memoize();
  ++memo;
  p.op('(');
  int class_memo = -1;
  std::vector<int> object_memo(fns.size(), -1);
  for (const auto& [fi, t] : calls) {
    if (object_memo[fi] < 0) {
      if (class_memo < 0) {
        p.str(module).memoize().str(cls).memoize().op(0x93).memoize();
        memo += 2;
        class_memo = memo++;
      } else {
        p.get(class_memo);
      }
      p.op(')').op(0x81).memoize();
      object_memo[fi] = memo++;
      p.op('}').memoize();
      ++memo;
      p.op('(')
          .str("kind")
          .str(fns[fi].name)
          .str("warm_time")
          .integer(fns[fi].warm)
          .str("run_time")
          .integer(fns[fi].cold)
          .str("mem_size")
          .integer(fns[fi].mem)
          .op('u')
          .op('b');
    } else {
      p.get(object_memo[fi]);
    }
    if (t == static_cast<int>(t))
      p.integer(static_cast<int>(t));
    else
      p.real(t);
    p.op(0x86).memoize();
    ++memo;
  }
  p.op('e').op(0x86).memoize().op('.');
  return p.bytes();
}

std::string small_valid() {
  return faascache_pickle({{"a", 128, 2000, 100}, {"b", 256, 5000, 300}},
                          {{0, 0}, {1, 0}, {0, 1500.5}, {1, 70000}, {0, 70000}});
}

void expect_error(const std::string& bytes, const std::string& fragment) {
  try {
    decode_pickle_trace(bytes, "x.pckl");
    FAIL() << "expected a TraceError containing '" << fragment << "'";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("x.pckl"), std::string::npos) << e.what();
  }
}

TEST(TracePickle, SmallValid) {
  const Trace t = decode_pickle_trace(small_valid(), "small.pckl");
  ASSERT_EQ(t.functions.size(), 2u);
  EXPECT_EQ(t.functions[0].id, "a");
  EXPECT_EQ(t.functions[0].memory_mb, 128u);
  EXPECT_EQ(t.functions[0].cold_ms, 2000);
  EXPECT_EQ(t.functions[0].warm_ms, 100);
  EXPECT_EQ(t.functions[1].id, "b");
  EXPECT_EQ(t.functions[1].memory_mb, 256u);
  EXPECT_EQ(t.times, (std::vector<double>{0, 0, 1500.5, 70000, 70000}));
  EXPECT_EQ(t.function_of, (std::vector<uint32_t>{0, 1, 0, 1, 0}));
  EXPECT_NO_THROW(t.validate());
}

TEST(TracePickle, ReduceAndGlobalOpcodes) {
  // Protocol 2 style: GLOBAL + REDUCE with positional args, BINPUT/BINGET, LIST/DICT via MARK.
  Pickle p;
  p.proto(2)
      .op('(')
      .str("f")
      .op('(')
      .str("f")
      .integer(64)
      .integer(900)
      .integer(90)
      .op('t')
      .op('d')
      .op('(')
      .raw("cLambdaData\nLambdaData\n")
      .op('q')
      .op(1)
      .op('(')
      .str("f")
      .integer(64)
      .integer(900)
      .integer(90)
      .op('t')
      .op('R')
      .op('q')
      .op(2)
      .real(10.0)
      .op(0x86)
      .op('h')
      .op(2)
      .real(20.0)
      .op(0x86)
      .op('l')
      .op(0x86)
      .op('.');
  const Trace t = decode_pickle_trace(p.bytes(), "p2.pckl");
  ASSERT_EQ(t.functions.size(), 1u);
  EXPECT_EQ(t.functions[0].memory_mb, 64u);
  EXPECT_EQ(t.times, (std::vector<double>{10, 20}));
}

TEST(TracePickle, LoadTraceRecognisesByContent) {
  test::TempDir dir;
  test::write_text(dir / "no-extension", small_valid());
  const Trace t = load_trace(dir / "no-extension");
  EXPECT_EQ(t.invocation_count(), 5u);
}

TEST(TracePickle, RefusesOtherGlobals) {
  const std::string bad = faascache_pickle({{"a", 1, 1, 1}}, {{0, 0}}, "os", "system");
  expect_error(bad, "global 'os.system' refused");
  // GLOBAL form too, and the offset of the opcode is reported.
  Pickle p;
  p.proto(2).raw("cposix\nsystem\n").str("echo hi").op(0x85).op('R').op('.');
  expect_error(p.bytes(), "byte 2: global 'posix.system' refused");
  // builtins used via REDUCE (the classic exploit shape).
  Pickle q;
  q.proto(4).str("builtins").str("eval").op(0x93).op('.');
  expect_error(q.bytes(), "global 'builtins.eval' refused");
}

TEST(TracePickle, Truncated) {
  const std::string good = small_valid();
  for (size_t cut : {size_t{1}, size_t{5}, good.size() / 2, good.size() - 1})
    expect_error(good.substr(0, cut), "truncated");
  expect_error(good.substr(0, good.size() - 1), "byte " + std::to_string(good.size() - 1));
}

TEST(TracePickle, UnknownOpcode) {
  std::string bad = small_valid();
  bad.insert(3, "\xff");  // after PROTO 4 and EMPTY_DICT
  expect_error(bad, "byte 3: opcode 0xff is not allowed");
  // PERSID and INST are outside the subset too.
  expect_error(std::string("\x80\x04P1\n.", 6), "opcode 0x50");
  expect_error(std::string("\x80\x04iLambdaData\nLambdaData\n.", 26), "opcode 0x69");
}

TEST(TracePickle, WrongStructure) {
  Pickle list_only;
  list_only.proto().op(']').op('.');
  expect_error(list_only.bytes(), "expected a (lambdas, trace) tuple");
  Pickle pair_of_ints;
  pair_of_ints.proto().op('}').integer(1).op(0x86).op('.');
  expect_error(pair_of_ints.bytes(), "trace is a int");
  Pickle bad_item;  // ({}, [(1, 2)])
  bad_item.proto().op('}').op(']').integer(1).integer(2).op(0x86).op('a').op(0x86).op('.');
  expect_error(bad_item.bytes(), "trace[0][0] is a int, not a LambdaData");
  // Times going backwards.
  expect_error(faascache_pickle({{"a", 1, 1, 1}}, {{0, 5}, {0, 4}}), "goes back in time");
  // Memory 0.
  expect_error(faascache_pickle({{"a", 0, 1, 1}}, {{0, 5}}), "must be > 0");
  // A name with a line break (legal in a pickle) would break every file written about it.
  expect_error(faascache_pickle({{"line\nbreak", 1, 1, 1}}, {{0, 5}}),
               "'line\nbreak' holds a control character (0x0a) at byte 5");
  expect_error(faascache_pickle({{"bad\xfe", 1, 1, 1}}, {{0, 5}}), "is not valid UTF-8");
  // Leftover values at STOP.
  Pickle extra;
  extra.proto().integer(1).integer(2).op('.');
  expect_error(extra.bytes(), "STOP with 2 values");
  // Memo reads of a slot never written.
  Pickle memo;
  memo.proto().get(7).op('.');
  expect_error(memo.bytes(), "memo entry 7 was never stored");
  // NEWOBJ on something that is not the class.
  Pickle newobj;
  newobj.proto().integer(3).op(')').op(0x81).op('.');
  expect_error(newobj.bytes(), "NEWOBJ of a int");
}

TEST(TracePickle, EveryMutationLoadsOrFailsCleanly) {
  // Each byte replaced by a few values, each prefix: a valid trace or a TraceError, nothing else.
  const std::string good = small_valid();
  size_t errors = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (int v : {0x00, 0x01, 0x7f, 0x80, 0xff, int{'h'}, int{'e'}, int{'u'}, int{'('}, int{'.'}}) {
      std::string bad = good;
      bad[i] = static_cast<char>(v);
      try {
        decode_pickle_trace(bad, "m.pckl").validate();
      } catch (const TraceError&) {
        ++errors;
      }
    }
  }
  EXPECT_GT(errors, good.size());
  Pickle huge_memo;
  huge_memo.proto().integer(1).op('r').raw(std::string("\xff\xff\xff\x0f", 4)).op('.');
  expect_error(huge_memo.bytes(), "too large");
}

TEST(TracePickle, DeepNestingDoesNotOverflow) {
  Pickle p;
  p.proto();
  for (int i = 0; i < 200000; ++i) p.op(']');
  for (int i = 0; i < 199999; ++i) p.op('a');
  p.op('.');
  expect_error(p.bytes(), "expected a (lambdas, trace) tuple");
}

TEST(TracePickle, RealFaasCacheTrace) {
  const auto dir = test::shared_reference_dir();
  if (dir.empty() || !std::filesystem::exists(dir / "20-c.pckl"))
    GTEST_SKIP() << "../shared/reference/20-c.pckl (or $KEEPWARM_REFERENCE_DIR/20-c.pckl) not "
                    "present; skipping the real-trace check";
  const Trace t = load_trace(dir / "20-c.pckl");
  EXPECT_EQ(t.functions.size(), 20u);
  EXPECT_EQ(t.invocation_count(), 17808u);
  EXPECT_NO_THROW(t.validate());
  EXPECT_EQ(t.functions[0].id, "11b18044ed31a41cbb257bab64dc7957996c5f08854b735bebe862db955be8bf");
  EXPECT_EQ(t.functions[0].memory_mb, 135u);
  EXPECT_EQ(t.functions[0].cold_ms, 203);
  EXPECT_EQ(t.functions[0].warm_ms, 104);
  EXPECT_EQ(t.times.front(), 0);
  EXPECT_DOUBLE_EQ(t.times.back(), 86393333.33333333);
}

}  // namespace
