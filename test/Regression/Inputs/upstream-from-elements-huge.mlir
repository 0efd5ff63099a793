// Known upstream crash (docs/design.md, Robustness 7), kept as a
// reproducer, not run: MLIR 22's parser of tensor.from_elements reserves
// one operand type per element of the result type before it reads the
// operands, so a result of 2^32 or more elements stops it with "LLVM ERROR:
// SmallVector unable to grow" (stock mlir-opt too). Found by attn-fuzz,
// seed 1, 2026-12-04.
func.func @f(%a: f32) -> tensor<4294967296xf32> {
  %r = tensor.from_elements %a, %a : tensor<4294967296xf32>
  return %r : tensor<4294967296xf32>
}
