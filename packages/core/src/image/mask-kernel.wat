;; Mask post-processing kernels for `maskFromLogits`: the horizontal pass, and the vertical pass
;; thresholded on a mask's boundary, four pixels per step with WebAssembly SIMD. Compiled into mask-kernel-wasm.ts by
;; `npm run build:wasm -w @samclip/core`; masks.ts falls back to the same arithmetic in JavaScript
;; where WebAssembly SIMD is missing.
;;
;; Every value is float32 arithmetic in this order, which the JavaScript path reproduces with
;; Math.fround after each operation: v = ((x0·w0 + x1·w1) + x2·w2) + …, with as many terms as taps.
(module
  (memory (export "memory") 1)

  ;; The horizontal pass: low-res rows rowMin … rowMin + rowCount − 1 of the float32 map at byte
  ;; offset data (M cells per row), each filtered to output columns x0 … x1 into the float32 block
  ;; at byte offset block, row after row. Output column x reads cells first[x] … first[x] + count[x] − 1
  ;; (int32 arrays at byte offsets first and count, indexed by x) with the float32 weights at
  ;; weight + 4·(x·slots + s), summed in order: v = ((c0·w0 + c1·w1) + c2·w2) + …
  (func (export "horizontal")
    (param $data i32) (param $M i32) (param $rowMin i32) (param $rowCount i32) (param $x0 i32) (param $x1 i32)
    (param $first i32) (param $count i32) (param $weight i32) (param $slots i32) (param $block i32)
    (local $x i32) (local $c i32) (local $r i32) (local $s i32) (local $src i32) (local $dst i32) (local $w i32)
    (local $w0 f32) (local $w1 f32) (local $w2 f32) (local $v f32) (local $rowBytes i32) (local $outBytes i32)
    (local.set $rowBytes (i32.shl (local.get $M) (i32.const 2)))
    (local.set $outBytes (i32.shl (i32.add (i32.sub (local.get $x1) (local.get $x0)) (i32.const 1)) (i32.const 2)))
    (local.set $x (local.get $x0))
    (block $columns_done
      (loop $each_column
        (br_if $columns_done (i32.gt_s (local.get $x) (local.get $x1)))
        (local.set $c (i32.load (i32.add (local.get $count) (i32.shl (local.get $x) (i32.const 2)))))
        (local.set $w (i32.add (local.get $weight) (i32.shl (i32.mul (local.get $x) (local.get $slots)) (i32.const 2))))
        (local.set $w0 (f32.load (local.get $w)))
        (local.set $src (i32.add (local.get $data) (i32.shl
          (i32.add (i32.mul (local.get $rowMin) (local.get $M)) (i32.load (i32.add (local.get $first) (i32.shl (local.get $x) (i32.const 2)))))
          (i32.const 2))))
        (local.set $dst (i32.add (local.get $block) (i32.shl (i32.sub (local.get $x) (local.get $x0)) (i32.const 2))))
        (local.set $r (i32.const 0))
        (if (i32.eq (local.get $c) (i32.const 2))
          (then
            (local.set $w1 (f32.load offset=4 (local.get $w)))
            (block $done2
              (loop $rows2
                (br_if $done2 (i32.ge_s (local.get $r) (local.get $rowCount)))
                (f32.store (local.get $dst)
                  (f32.add (f32.mul (f32.load (local.get $src)) (local.get $w0)) (f32.mul (f32.load offset=4 (local.get $src)) (local.get $w1))))
                (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
                (local.set $dst (i32.add (local.get $dst) (local.get $outBytes)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rows2))))
          (else
            (if (i32.eq (local.get $c) (i32.const 3))
              (then
                (local.set $w1 (f32.load offset=4 (local.get $w)))
                (local.set $w2 (f32.load offset=8 (local.get $w)))
                (block $done3
                  (loop $rows3
                    (br_if $done3 (i32.ge_s (local.get $r) (local.get $rowCount)))
                    (f32.store (local.get $dst)
                      (f32.add
                        (f32.add (f32.mul (f32.load (local.get $src)) (local.get $w0)) (f32.mul (f32.load offset=4 (local.get $src)) (local.get $w1)))
                        (f32.mul (f32.load offset=8 (local.get $src)) (local.get $w2))))
                    (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
                    (local.set $dst (i32.add (local.get $dst) (local.get $outBytes)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $rows3))))
              (else
                ;; One tap, or more than three (a low-res map finer than the model input).
                (block $done_any
                  (loop $rows_any
                    (br_if $done_any (i32.ge_s (local.get $r) (local.get $rowCount)))
                    (local.set $v (f32.mul (f32.load (local.get $src)) (local.get $w0)))
                    (local.set $s (i32.const 1))
                    (block $taps_done
                      (loop $taps
                        (br_if $taps_done (i32.ge_s (local.get $s) (local.get $c)))
                        (local.set $v (f32.add (local.get $v)
                          (f32.mul
                            (f32.load (i32.add (local.get $src) (i32.shl (local.get $s) (i32.const 2))))
                            (f32.load (i32.add (local.get $w) (i32.shl (local.get $s) (i32.const 2)))))))
                        (local.set $s (i32.add (local.get $s) (i32.const 1)))
                        (br $taps)))
                    (f32.store (local.get $dst) (local.get $v))
                    (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
                    (local.set $dst (i32.add (local.get $dst) (local.get $outBytes)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $rows_any)))))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $each_column))))

  ;; Thresholds `rows` output rows over the same `taps` (1–3) horizontal rows, each `n` float32 at
  ;; byte offsets h0, h1, h2. Row k uses the weights at w + 12·k (w0, w1, w2: float32) and writes
  ;; v > t as a 0/1 byte to out + k·stride + i; its count of set pixels is added to the int32 at
  ;; counts + 4·k.
  (func (export "threshold_rows")
    (param $taps i32) (param $h0 i32) (param $h1 i32) (param $h2 i32) (param $n i32)
    (param $w i32) (param $rows i32) (param $t f32) (param $out i32) (param $stride i32) (param $counts i32)
    (local $k i32) (local $i i32) (local $dst i32) (local $set i32)
    (local $w0 f32) (local $w1 f32) (local $w2 f32) (local $v f32)
    (local $w0x v128) (local $w1x v128) (local $w2x v128) (local $tx v128)
    (local $vx v128) (local $mask v128) (local $acc v128) (local $n4 i32)
    (local.set $tx (f32x4.splat (local.get $t)))
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (block $rows_done
      (loop $each_row
        (br_if $rows_done (i32.ge_u (local.get $k) (local.get $rows)))
        (local.set $w0 (f32.load (local.get $w)))
        (local.set $w1 (f32.load offset=4 (local.get $w)))
        (local.set $w2 (f32.load offset=8 (local.get $w)))
        (local.set $w0x (f32x4.splat (local.get $w0)))
        (local.set $w1x (f32x4.splat (local.get $w1)))
        (local.set $w2x (f32x4.splat (local.get $w2)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.const 0))
        ;; Four pixels per step: the comparison gives -1 per set lane, subtracted into the count,
        ;; then narrowed to four bytes and masked to 0/1.
        (block $simd_done
          (loop $simd
            (br_if $simd_done (i32.ge_u (local.get $i) (local.get $n4)))
            (local.set $vx (f32x4.mul (v128.load (i32.add (local.get $h0) (i32.shl (local.get $i) (i32.const 2)))) (local.get $w0x)))
            (if (i32.ge_u (local.get $taps) (i32.const 2))
              (then
                (local.set $vx (f32x4.add (local.get $vx)
                  (f32x4.mul (v128.load (i32.add (local.get $h1) (i32.shl (local.get $i) (i32.const 2)))) (local.get $w1x))))))
            (if (i32.ge_u (local.get $taps) (i32.const 3))
              (then
                (local.set $vx (f32x4.add (local.get $vx)
                  (f32x4.mul (v128.load (i32.add (local.get $h2) (i32.shl (local.get $i) (i32.const 2)))) (local.get $w2x))))))
            (local.set $mask (f32x4.gt (local.get $vx) (local.get $tx)))
            (local.set $acc (i32x4.sub (local.get $acc) (local.get $mask)))
            (local.set $mask (i16x8.narrow_i32x4_s (local.get $mask) (local.get $mask)))
            (local.set $mask (i8x16.narrow_i16x8_s (local.get $mask) (local.get $mask)))
            (v128.store32_lane 0
              (i32.add (local.get $out) (local.get $i))
              (v128.and (local.get $mask) (v128.const i8x16 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $simd)))
        (local.set $set
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        ;; The last n mod 4 pixels, one at a time.
        (block $tail_done
          (loop $tail
            (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $v (f32.mul (f32.load (i32.add (local.get $h0) (i32.shl (local.get $i) (i32.const 2)))) (local.get $w0)))
            (if (i32.ge_u (local.get $taps) (i32.const 2))
              (then
                (local.set $v (f32.add (local.get $v)
                  (f32.mul (f32.load (i32.add (local.get $h1) (i32.shl (local.get $i) (i32.const 2)))) (local.get $w1))))))
            (if (i32.ge_u (local.get $taps) (i32.const 3))
              (then
                (local.set $v (f32.add (local.get $v)
                  (f32.mul (f32.load (i32.add (local.get $h2) (i32.shl (local.get $i) (i32.const 2)))) (local.get $w2))))))
            (local.set $dst (f32.gt (local.get $v) (local.get $t)))
            (i32.store8 (i32.add (local.get $out) (local.get $i)) (local.get $dst))
            (local.set $set (i32.add (local.get $set) (local.get $dst)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $tail)))
        (i32.store (local.get $counts) (i32.add (i32.load (local.get $counts)) (local.get $set)))
        (local.set $w (i32.add (local.get $w) (i32.const 12)))
        (local.set $out (i32.add (local.get $out) (local.get $stride)))
        (local.set $counts (i32.add (local.get $counts) (i32.const 4)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each_row)))))
