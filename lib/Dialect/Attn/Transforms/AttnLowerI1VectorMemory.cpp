//===- AttnLowerI1VectorMemory.cpp - i1 vectors in byte memory -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A memref of i1 holds one element per byte, an LLVM vector of i1 is
// bit-packed in memory: the vector loads and stores of i1 memrefs are lowered
// here to byte vectors truncated to (or extended from) i1 lanes, before the
// upstream vector lowering would emit bit-packed accesses.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Transforms/Transforms.h"

#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir {
namespace attn {
#define GEN_PASS_DEF_ATTNLOWERI1VECTORMEMORYPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace attn
} // namespace mlir

using namespace mlir;
using namespace mlir::attn;

/// The vector type of a vector access of i1 elements in a memref (a
/// transfer, load or store, plain or masked), or null for any other op.
static VectorType getI1VectorAccessType(Operation *op) {
  auto get = [](auto x) -> VectorType {
    auto mT = dyn_cast<MemRefType>(x.getBase().getType());
    VectorType vT = x.getVectorType();
    if (mT && mT.getElementType().isInteger(1) &&
        vT.getElementType().isInteger(1))
      return vT;
    return {};
  };
  return TypeSwitch<Operation *, VectorType>(op)
      .Case<vector::TransferReadOp, vector::TransferWriteOp, vector::LoadOp,
            vector::MaskedLoadOp, vector::StoreOp, vector::MaskedStoreOp>(get)
      .Default([](Operation *) { return VectorType(); });
}

static bool isI1VectorAccess(Operation *op) {
  return static_cast<bool>(getI1VectorAccessType(op));
}

/// The byte vector type of the 0-D or 1-D i1 vector type `t` (a 0-D
/// vector is a 1-lane vector in LLVM), or null.
static VectorType byteVectorType(VectorType t) {
  if (t.getRank() > 1 || t.isScalable())
    return {};
  return VectorType::get(t.getRank() == 0 ? 1 : t.getDimSize(0),
                         IntegerType::get(t.getContext(), 8));
}

namespace {
/// What the i1 load and store lowerings share: the match of an i1 vector
/// access they handle and the address of its first byte.
template <typename AccessOp>
struct I1AccessLowering : ConvertOpToLLVMPattern<AccessOp> {
  using ConvertOpToLLVMPattern<AccessOp>::ConvertOpToLLVMPattern;
  using OpAdaptor = typename AccessOp::Adaptor;

protected:
  /// The byte vector type that `op` accesses in memory, or failure when `op`
  /// is not an i1 vector access of a 0-D or 1-D fixed vector.
  FailureOr<VectorType>
  matchI1Access(AccessOp op, ConversionPatternRewriter &rewriter) const {
    if (!isI1VectorAccess(op))
      return failure();
    VectorType bytesT = byteVectorType(op.getVectorType());
    if (!bytesT)
      return rewriter.notifyMatchFailure(op, "not a 0-D or 1-D fixed vector");
    return bytesT;
  }

  /// The address of the first byte `op` accesses.
  Value getBytePtr(AccessOp op, OpAdaptor adaptor,
                   ConversionPatternRewriter &rewriter) const {
    return this->getStridedElementPtr(rewriter, op.getLoc(), op.getMemRefType(),
                                      adaptor.getBase(), adaptor.getIndices());
  }
};

/// vector.load / vector.maskedload of an i1 memref: a (masked) load of
/// bytes, truncated to i1 lanes.
template <typename LoadOp>
struct I1LoadLowering : I1AccessLowering<LoadOp> {
  using I1AccessLowering<LoadOp>::I1AccessLowering;
  using OpAdaptor = typename LoadOp::Adaptor;

  LogicalResult
  matchAndRewrite(LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<VectorType> bytesT = this->matchI1Access(op, rewriter);
    if (failed(bytesT))
      return failure();
    Type lanesT = this->getTypeConverter()->convertType(op.getVectorType());
    if (!lanesT)
      return rewriter.notifyMatchFailure(op, "unconvertible vector type");
    Location loc = op.getLoc();
    Value ptr = this->getBytePtr(op, adaptor, rewriter);
    Value bytes;
    if constexpr (std::is_same_v<LoadOp, vector::MaskedLoadOp>) {
      Value pass =
          LLVM::ZExtOp::create(rewriter, loc, *bytesT, adaptor.getPassThru());
      bytes = LLVM::MaskedLoadOp::create(rewriter, loc, *bytesT, ptr,
                                         adaptor.getMask(), pass,
                                         /*alignment=*/1);
    } else {
      bytes = LLVM::LoadOp::create(rewriter, loc, *bytesT, ptr,
                                   /*alignment=*/1);
    }
    rewriter.replaceOp(op, LLVM::TruncOp::create(rewriter, loc, lanesT, bytes));
    return success();
  }
};

/// vector.store / vector.maskedstore to an i1 memref: the lanes
/// zero-extended to bytes, (masked) stored.
template <typename StoreOp>
struct I1StoreLowering : I1AccessLowering<StoreOp> {
  using I1AccessLowering<StoreOp>::I1AccessLowering;
  using OpAdaptor = typename StoreOp::Adaptor;

  LogicalResult
  matchAndRewrite(StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    FailureOr<VectorType> bytesT = this->matchI1Access(op, rewriter);
    if (failed(bytesT))
      return failure();
    Location loc = op.getLoc();
    Value ptr = this->getBytePtr(op, adaptor, rewriter);
    Value bytes =
        LLVM::ZExtOp::create(rewriter, loc, *bytesT, adaptor.getValueToStore());
    if constexpr (std::is_same_v<StoreOp, vector::MaskedStoreOp>)
      LLVM::MaskedStoreOp::create(rewriter, loc, bytes, ptr, adaptor.getMask(),
                                  /*alignment=*/1);
    else
      LLVM::StoreOp::create(rewriter, loc, bytes, ptr, /*alignment=*/1);
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

/// Most lanes of an i1 vector access this lowering accepts. The transfer
/// lowering materialises one constant per lane for the mask of a partial
/// access, and LLVM vectors have at most 2^32 - 1 lanes; vectorised code has
/// a few hundred.
static constexpr int64_t kMaxI1Lanes = 1 << 16;

LogicalResult mlir::attn::lowerI1VectorMemoryToLLVM(Operation *root) {
  MLIRContext *ctx = root->getContext();
  // Precondition, before any rewrite: no access too wide to lower.
  bool tooWide = false;
  root->walk([&](Operation *op) {
    VectorType vT = getI1VectorAccessType(op);
    if (!vT)
      return;
    // The lane count without overflow (each factor is checked first).
    int64_t lanes = 1;
    for (int64_t d : vT.getShape()) {
      if (d > kMaxI1Lanes || lanes * d > kMaxI1Lanes) {
        op->emitError("expects a vector access of i1 memory of at most ")
            << kMaxI1Lanes << " lanes, got " << vT;
        tooWide = true;
        return;
      }
      lanes *= d;
    }
  });
  if (tooWide)
    return failure();
  // Transfers to loads and stores (masks materialised for out-of-bounds
  // lanes), on the i1 accesses only.
  SmallVector<Operation *> transfers;
  root->walk([&](VectorTransferOpInterface op) {
    if (isI1VectorAccess(op))
      transfers.push_back(op);
  });
  if (!transfers.empty()) {
    RewritePatternSet patterns(ctx);
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    vector::populateVectorMaskMaterializationPatterns(
        patterns, /*force32BitVectorIndices=*/false);
    (void)applyOpPatternsGreedily(
        transfers, std::move(patterns),
        GreedyRewriteConfig().setStrictness(
            GreedyRewriteStrictness::ExistingAndNewOps));
  }

  // What is left must be 1-D loads and stores; anything else would reach
  // the upstream lowering and be bit-packed.
  bool unsupported = false;
  root->walk([&](Operation *op) {
    VectorType vT = getI1VectorAccessType(op);
    if (!vT)
      return;
    if (isa<VectorTransferOpInterface>(op) || !byteVectorType(vT)) {
      op->emitError(
          "cannot lower this vector access of i1 memory to bytes "
          "(needs a 0-D or 1-D vector along a unit-stride dimension)");
      unsupported = true;
    }
  });
  if (unsupported)
    return failure();

  LLVMTypeConverter converter(ctx);
  RewritePatternSet patterns(ctx);
  patterns
      .add<I1LoadLowering<vector::LoadOp>, I1LoadLowering<vector::MaskedLoadOp>,
           I1StoreLowering<vector::StoreOp>,
           I1StoreLowering<vector::MaskedStoreOp>>(converter);
  ConversionTarget target(*ctx);
  target.markUnknownOpDynamicallyLegal(
      [](Operation *op) { return !isI1VectorAccess(op); });
  return applyPartialConversion(root, target, std::move(patterns));
}

namespace {
struct AttnLowerI1VectorMemoryPass final
    : attn::impl::AttnLowerI1VectorMemoryPassBase<AttnLowerI1VectorMemoryPass> {
  void runOnOperation() override;
};
} // namespace

void AttnLowerI1VectorMemoryPass::runOnOperation() {
  if (failed(lowerI1VectorMemoryToLLVM(getOperation())))
    signalPassFailure();
}
