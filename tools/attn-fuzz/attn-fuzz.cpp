//===- attn-fuzz.cpp - libFuzzer target of attn-opt -------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A libFuzzer target that parses its input as MLIR, verifies it and runs
// one of attn-opt's passes or pipelines on it (picked by a hash of the
// input, so that a crash input replays the same pipeline), with an
// MLIR-aware custom mutator: it rewrites shapes (zero, one, huge and
// dynamic sizes), element types, numbers in attributes, duplicates, deletes
// and swaps lines, and crosses lines between inputs. Diagnostics are
// swallowed: only a crash, a sanitizer report, an LLVM ERROR (abort) or a
// timeout is a finding.
//
//   attn-fuzz -seed=1 -max_total_time=180 corpus/ seeds/
//   attn-fuzz crash-<sha1>     # replays one input (prints the pipeline)
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <utility>
#include <string>
#include <vector>

using namespace mlir;

/// The pipelines the target runs, one per input. The GPU pipeline stops at
/// PTX (format=isa): ptxas is not needed.
static const char *const kPipelines[] = {
    "attn-tile",
    "attn-tile{kv-splits=4 q-tile=16 kv-tile=8}",
    "attn-decompose",
    "attn-fuse-elementwise",
    "attn-decompose-aggregates",
    "attn-vectorize-linalg",
    "func.func(attn-raise)",
    "func.func(attn-approximate-math)",
    "attn-lower-i1-vector-memory",
    "attn-cpu-pipeline{parallel=false}",
    "attn-cpu-pipeline",
    "attn-cpu-pipeline{reference=true}",
    "func.func(attn-raise),attn-cpu-pipeline{parallel=false}",
    "convert-attn-to-gpu",
    "attn-gpu-pipeline{format=isa}",
    "attn-gpu-pipeline{chip=sm_90a format=isa}",
};

namespace {
/// One context for the whole run: building the registry per input would
/// dominate the time of small inputs.
struct FuzzState {
  DialectRegistry registry;
  std::unique_ptr<MLIRContext> context;

  FuzzState() {
    registerAllPasses();
    attn::registerAttnPasses();
    attn::registerAttnConversionPasses();
    attn::registerAttnPipelines();
    attn::registerAttnGPUPipelines();
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registerAllToLLVMIRTranslations(registry);
    registry.insert<attn::AttnDialect>();
    context = std::make_unique<MLIRContext>(registry,
                                            MLIRContext::Threading::DISABLED);
    context->loadAllAvailableDialects();
    context->printOpOnDiagnostic(false);
    context->printStackTraceOnDiagnostic(false);
    // Every pipeline parses, or the target is broken (not a finding).
    for (const char *pipeline : kPipelines) {
      PassManager pm(context.get(), ModuleOp::getOperationName());
      if (failed(parsePassPipeline(pipeline, pm, llvm::errs()))) {
        llvm::errs() << "attn-fuzz: bad pipeline '" << pipeline << "'\n";
        exit(2);
      }
    }
  }
};
} // namespace

static FuzzState &state() {
  static FuzzState s;
  return s;
}

/// Coverage features of the target itself. Only this file is built with
/// coverage instrumentation (libMLIR.so is not, and our libraries get
/// ASan + UBSan only), so without these libFuzzer would drop every seed
/// that adds no edge here. Each of kNumFeatures functions is its own
/// covered block: the op kinds of the parsed input, the pipeline and its
/// outcome and the diagnostic count select them.
static constexpr unsigned kNumFeatures = 512;
template <unsigned N>
__attribute__((noinline)) static void feature() {
  static volatile unsigned hits;
  hits = hits + 1;
}
template <unsigned... Ns>
static void featureAt(unsigned i, std::integer_sequence<unsigned, Ns...>) {
  using Fn = void (*)();
  static constexpr Fn table[] = {&feature<Ns>...};
  table[i % kNumFeatures]();
}
static void signal(unsigned i) {
  featureAt(i, std::make_integer_sequence<unsigned, kNumFeatures>());
}

/// The pipeline an input runs: fixed by its contents.
static unsigned pipelineIndex(llvm::StringRef text) {
  return static_cast<unsigned>(llvm::hash_value(text)) %
         (sizeof(kPipelines) / sizeof(kPipelines[0]));
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  (void)state();
  return 0;
}

/// Whether a `tensor.from_elements` line of `text` has a result type of more
/// than 2^24 elements (the product of its static sizes).
static bool hasHugeFromElements(llvm::StringRef text) {
  for (size_t p = text.find("from_elements"); p != llvm::StringRef::npos;
       p = text.find("from_elements", p + 1)) {
    llvm::StringRef line =
        text.drop_front(p).take_until([](char c) { return c == '\n'; });
    size_t t = line.rfind("tensor<");
    if (t == llvm::StringRef::npos)
      continue;
    llvm::StringRef dims = line.drop_front(t + 7);
    uint64_t elements = 1;
    while (!dims.empty() && isdigit(static_cast<unsigned char>(dims[0]))) {
      uint64_t size = 0;
      while (!dims.empty() && isdigit(static_cast<unsigned char>(dims[0]))) {
        size = std::min<uint64_t>(size * 10 + (dims[0] - '0'), 1ull << 40);
        dims = dims.drop_front();
      }
      elements = std::min<uint64_t>(elements * size, 1ull << 40);
      if (!dims.consume_front("x"))
        break;
    }
    if (elements > (1u << 24))
      return true;
  }
  return false;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Large inputs only slow the search down.
  if (size > (1 << 16))
    return -1;
  std::string text(reinterpret_cast<const char *>(data), size);
  // Known upstream crash (docs/design.md, Robustness 7): MLIR 22's parser
  // of named batched linalg ops segfaults on operands it cannot cast to
  // the output's element type (complex or index elements among real ones).
  if (text.find("linalg.batch") != std::string::npos &&
      (text.find("complex<") != std::string::npos ||
       text.find("xindex>") != std::string::npos))
    return -1;
  // Known upstream crash (Robustness 7): the parsers of linalg.transpose
  // and linalg.broadcast segfault on a `permutation` / `dimensions` entry
  // that is not an integer.
  for (llvm::StringRef key : {"permutation = [", "dimensions = ["})
    for (size_t p = text.find(key.str()); p != std::string::npos;
         p = text.find(key.str(), p + 1)) {
      size_t e = std::min(text.find(']', p), text.size());
      for (size_t i = p + key.size(); i < e; ++i)
        if (!isdigit(static_cast<unsigned char>(text[i])) &&
            text[i] != ',' && text[i] != ' ' && text[i] != '-')
          return -1;
    }
  // Known upstream crash (Robustness 7): the parser of tensor.from_elements
  // reserves one type per element of its result type, so a huge static
  // result ("LLVM ERROR: SmallVector unable to grow", or out of memory).
  if (hasHugeFromElements(text))
    return -1;
  MLIRContext &ctx = *state().context;
  bool verbose = getenv("ATTN_FUZZ_VERBOSE") != nullptr;
  unsigned numDiags = 0;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    ++numDiags;
    if (verbose)
      llvm::errs() << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  ParserConfig config(&ctx);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, config, "fuzz-input");
  if (!module) {
    signal(0);
    return 0;
  }
  // Op kinds (and attn.attention operand groups) of the input.
  module->walk([&](Operation *op) {
    signal(1 + static_cast<unsigned>(
                   llvm::hash_combine(op->getName().getStringRef(),
                                      op->getNumOperands(),
                                      op->getNumRegions())) %
                   320);
  });
  if (failed(verify(*module))) {
    signal(330 + std::min(numDiags, 8u));
    return 0;
  }
  unsigned index = pipelineIndex(text);
  const char *pipeline = kPipelines[index];
  if (verbose)
    llvm::errs() << "attn-fuzz: pipeline '" << pipeline << "'\n";
  PassManager pm(&ctx, ModuleOp::getOperationName());
  std::string err;
  llvm::raw_string_ostream errOs(err);
  if (failed(parsePassPipeline(pipeline, pm, errOs))) {
    llvm::errs() << "attn-fuzz: bad pipeline '" << pipeline << "': " << err;
    abort();
  }
  bool ok = succeeded(pm.run(*module));
  signal(340 + index * 8 + (ok ? 0 : 1 + std::min(numDiags, 6u)));
  return 0;
}

//===----------------------------------------------------------------------===//
// MLIR-aware mutator
//===----------------------------------------------------------------------===//

static const char *const kElementTypes[] = {
    "f32", "f16", "bf16", "f64", "f80", "f128", "i1", "i8", "i32", "i64",
    "index", "complex<f32>", "tf32", "f8E4M3FN", "i4"};
static const char *const kSizes[] = {"0", "1", "2", "3", "7", "16", "64",
                                     "?", "129", "4096", "65537",
                                     "4294967296", "9223372036854775807"};
static const char *const kNumbers[] = {"0", "1", "-1", "2", "0.0", "-0.5",
                                       "1.0e+30", "0x7FC00000", "65536",
                                       "2147483648", "-9223372036854775808"};
static const char *const kSnippets[] = {
    "{masks = [#attn.causal]}", "{scale = 0.0}", "{scale = -1.0}",
    "{softcap = 30.0}", "{normalizer = #attn.normalizer<sigmoid>}",
    "{masks = [#attn.sliding_window<left = 0, right = 0>]}",
    "{masks = [#attn.chunked<0>]}", "{masks = [#attn.dilated<0>]}",
    "{masks = [#attn.prefix_lm<-1>]}", "{sigmoid_bias = 1.0}"};

static bool isDigit(char c) { return c >= '0' && c <= '9'; }

/// Positions of `x` dimension separators' neighbours: the start of each
/// size in a `tensor<...>`/`vector<...>`/`memref<...>` shape.
static void findSizes(const std::string &s, std::vector<size_t> &out) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    bool start = (s[i] == '<' || s[i] == 'x') && i + 1 < s.size() &&
                 (isDigit(s[i + 1]) || s[i + 1] == '?');
    if (start)
      out.push_back(i + 1);
  }
}

static size_t tokenEnd(const std::string &s, size_t i) {
  if (i < s.size() && s[i] == '?')
    return i + 1;
  while (i < s.size() && isDigit(s[i]))
    ++i;
  return i;
}

static void findWord(const std::string &s, const char *word,
                     std::vector<size_t> &out) {
  size_t n = strlen(word);
  for (size_t p = s.find(word); p != std::string::npos; p = s.find(word, p + 1))
    out.push_back(p);
  (void)n;
}

static std::vector<std::string> splitLines(const std::string &s) {
  std::vector<std::string> lines;
  size_t b = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '\n') {
      lines.push_back(s.substr(b, i - b));
      b = i + 1;
    }
  return lines;
}

static std::string joinLines(const std::vector<std::string> &lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += lines[i];
    if (i + 1 < lines.size())
      out += '\n';
  }
  return out;
}

/// One mutation of `s`; returns false when it found nothing to change.
static bool mutateOnce(std::string &s, std::mt19937_64 &rng) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  switch (pick(9)) {
  case 0:
  case 1: { // A shape size, everywhere it is the same token or at one place.
    std::vector<size_t> pos;
    findSizes(s, pos);
    if (pos.empty())
      return false;
    size_t p = pos[pick(pos.size())];
    size_t e = tokenEnd(s, p);
    s.replace(p, e - p, kSizes[pick(std::size(kSizes))]);
    return true;
  }
  case 2: { // An element type.
    std::vector<size_t> pos;
    for (const char *t : {"xf32>", "xf16>", "xbf16>", "xi1>", "xi32>",
                          "xf64>", "xindex>"})
      findWord(s, t, pos);
    if (pos.empty())
      return false;
    size_t p = pos[pick(pos.size())] + 1;
    size_t e = s.find('>', p);
    s.replace(p, e - p, kElementTypes[pick(std::size(kElementTypes))]);
    return true;
  }
  case 3: { // A number in an attribute or constant.
    std::vector<size_t> pos;
    for (size_t i = 1; i < s.size(); ++i)
      if ((s[i - 1] == ' ' || s[i - 1] == '(' || s[i - 1] == '[' ||
           s[i - 1] == '<') &&
          (isDigit(s[i]) || s[i] == '-'))
        pos.push_back(i);
    if (pos.empty())
      return false;
    size_t p = pos[pick(pos.size())];
    size_t e = p + 1;
    while (e < s.size() && (isDigit(s[e]) || s[e] == '.' || s[e] == 'e' ||
                            s[e] == '+' || s[e] == '-'))
      ++e;
    s.replace(p, e - p, kNumbers[pick(std::size(kNumbers))]);
    return true;
  }
  case 4: { // Delete a line.
    std::vector<std::string> lines = splitLines(s);
    if (lines.size() < 2)
      return false;
    lines.erase(lines.begin() + pick(lines.size()));
    s = joinLines(lines);
    return true;
  }
  case 5: { // Duplicate or swap lines.
    std::vector<std::string> lines = splitLines(s);
    if (lines.size() < 2)
      return false;
    size_t a = pick(lines.size()), b = pick(lines.size());
    if (rng() & 1)
      std::swap(lines[a], lines[b]);
    else
      lines.insert(lines.begin() + a, lines[b]);
    s = joinLines(lines);
    return true;
  }
  case 6: { // Static <-> dynamic: a `?` becomes a size or a size a `?`.
    size_t q = s.find("x?x");
    if (q != std::string::npos && (rng() & 1)) {
      s.replace(q + 1, 1, kSizes[pick(std::size(kSizes))]);
      return true;
    }
    std::vector<size_t> pos;
    findSizes(s, pos);
    if (pos.empty())
      return false;
    size_t p = pos[pick(pos.size())];
    s.replace(p, tokenEnd(s, p) - p, "?");
    return true;
  }
  case 7: { // An attribute dictionary on an attention op.
    size_t p = s.find("-> tensor");
    std::vector<size_t> pos;
    findWord(s, ") -> tensor", pos);
    findWord(s, ")\n      -> tensor", pos);
    if (pos.empty())
      return false;
    p = pos[pick(pos.size())] + 1;
    s.insert(p, std::string(" ") + kSnippets[pick(std::size(kSnippets))]);
    return true;
  }
  default: { // Drop or duplicate an operand of a group `(%a, %b : t, u)`.
    std::vector<size_t> pos;
    findWord(s, ", %", pos);
    if (pos.empty())
      return false;
    size_t p = pos[pick(pos.size())];
    size_t e = p + 2;
    while (e < s.size() && s[e] != ',' && s[e] != ' ' && s[e] != ')' &&
           s[e] != ':')
      ++e;
    if (rng() & 1)
      s.erase(p, e - p);
    else
      s.insert(e, s.substr(p, e - p));
    return true;
  }
  }
}

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size,
                                   size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned int seed) {
  std::mt19937_64 rng(seed);
  std::string s(reinterpret_cast<char *>(data), size);
  // Mostly structured mutations; sometimes libFuzzer's byte-level ones.
  if (rng() % 8 == 0)
    return LLVMFuzzerMutate(data, size, maxSize);
  unsigned n = 1 + rng() % 3;
  for (unsigned i = 0; i < n; ++i)
    (void)mutateOnce(s, rng);
  if (s.size() > maxSize)
    s.resize(maxSize);
  memcpy(data, s.data(), s.size());
  return s.size();
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1,
                                            size_t size1,
                                            const uint8_t *data2,
                                            size_t size2, uint8_t *out,
                                            size_t maxOutSize,
                                            unsigned int seed) {
  // Lines of the second input spliced into the first: new operand groups,
  // region bodies and yields in a known function.
  std::mt19937_64 rng(seed);
  std::vector<std::string> a = splitLines(
      std::string(reinterpret_cast<const char *>(data1), size1));
  std::vector<std::string> b = splitLines(
      std::string(reinterpret_cast<const char *>(data2), size2));
  size_t at = rng() % (a.size() + 1);
  size_t from = rng() % b.size(), count = 1 + rng() % 4;
  for (size_t i = 0; i < count && from + i < b.size(); ++i)
    a.insert(a.begin() + std::min(at + i, a.size()), b[from + i]);
  std::string s = joinLines(a);
  if (s.size() > maxOutSize)
    s.resize(maxOutSize);
  memcpy(out, s.data(), s.size());
  return s.size();
}
