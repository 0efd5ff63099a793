//===- main.cpp - a compiler that embeds attn -------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Registers the attn dialect beside the upstream ones, parses the module
// named on the command line, decomposes a copy with attn-decompose and lowers
// the original through the public CPU pipeline build function, printing
// what it finds at each step.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

/// Prints how many ops of each name in `names` `module` holds.
static void countOps(ModuleOp module, ArrayRef<StringRef> names) {
  for (StringRef name : names) {
    unsigned count = 0;
    module.walk([&](Operation *op) {
      if (op->getName().getStringRef() == name)
        ++count;
    });
    llvm::outs() << "  " << name << ": " << count << "\n";
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: attn-embed <file.mlir>\n";
    return 2;
  }
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<attn::AttnDialect>();
  MLIRContext context(registry);

  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(argv[1], &context);
  if (!module)
    return 1;
  module->walk([](attn::AttentionOp op) {
    llvm::outs() << "parsed " << op->getName() << " with "
                 << op->getNumResults() << " result(s)\n";
  });

  OwningOpRef<ModuleOp> copy = module->clone();
  PassManager decompose(&context);
  decompose.addPass(attn::createAttnDecomposePass());
  if (failed(decompose.run(*copy)))
    return 1;
  llvm::outs() << "after attn-decompose:\n";
  countOps(*copy, {"attn.attention", "linalg.generic"});

  PassManager cpu(&context);
  attn::AttnCPUPipelineOptions options;
  options.parallel = false;
  attn::buildAttnCPUPipeline(cpu, options);
  if (failed(cpu.run(*module)))
    return 1;
  llvm::outs() << "after the CPU pipeline:\n";
  countOps(*module, {"attn.attention", "linalg.generic"});
  module->walk([](Operation *op) {
    if (op->getName().getStringRef() == "llvm.func" &&
        !op->getRegion(0).empty())
      llvm::outs() << "  defined llvm.func @"
                   << SymbolTable::getSymbolName(op).getValue() << "\n";
  });
  return 0;
}
