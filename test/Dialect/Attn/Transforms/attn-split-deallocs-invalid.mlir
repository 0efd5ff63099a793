// RUN: attn-opt %s -attn-split-deallocs=max-memrefs=0 -verify-diagnostics

// expected-error @+1 {{attn-split-deallocs: max-memrefs must be at least 1, got 0}}
func.func @bad_option() {
  return
}
