/** Every kernel this package ships, one per file; the backend builds its KernelRegistry from this list. */
import type { Kernel } from './types.js';
import { Abs } from './Abs.js';
import { Add } from './Add.js';
import { And } from './And.js';
import { ArgMax } from './ArgMax.js';
import { ArgMin } from './ArgMin.js';
import { AveragePool } from './AveragePool.js';
import { BatchNormalization } from './BatchNormalization.js';
import { Cast } from './Cast.js';
import { CastLike } from './CastLike.js';
import { Ceil } from './Ceil.js';
import { Clip } from './Clip.js';
import { Concat } from './Concat.js';
import { Constant } from './Constant.js';
import { ConstantOfShape } from './ConstantOfShape.js';
import { Conv } from './Conv.js';
import { ConvInteger } from './ConvInteger.js';
import { ConvNHWC } from './ConvNHWC.js';
import { ConvTranspose } from './ConvTranspose.js';
import { ConvTransposeNHWC } from './ConvTransposeNHWC.js';
import { Cos } from './Cos.js';
import { CumSum } from './CumSum.js';
import { DequantizeLinear } from './DequantizeLinear.js';
import { DequantizeNBits } from './DequantizeNBits.js';
import { Div } from './Div.js';
import { Dropout } from './Dropout.js';
import { DynamicQuantizeLinear } from './DynamicQuantizeLinear.js';
import { Einsum } from './Einsum.js';
import { Elu } from './Elu.js';
import { Equal } from './Equal.js';
import { Erf } from './Erf.js';
import { Exp } from './Exp.js';
import { Expand } from './Expand.js';
import { Flatten } from './Flatten.js';
import { Floor } from './Floor.js';
import { Gather } from './Gather.js';
import { GatherElements } from './GatherElements.js';
import { Gelu } from './Gelu.js';
import { Gemm } from './Gemm.js';
import { GlobalAveragePool } from './GlobalAveragePool.js';
import { GlobalMaxPool } from './GlobalMaxPool.js';
import { Greater } from './Greater.js';
import { GreaterOrEqual } from './GreaterOrEqual.js';
import { HardSigmoid } from './HardSigmoid.js';
import { HardSwish } from './HardSwish.js';
import { Identity } from './Identity.js';
import { If } from './If.js';
import { IsInf } from './IsInf.js';
import { IsNaN } from './IsNaN.js';
import { LayerNormalization } from './LayerNormalization.js';
import { LeakyRelu } from './LeakyRelu.js';
import { Less } from './Less.js';
import { LessOrEqual } from './LessOrEqual.js';
import { Log } from './Log.js';
import { LogSoftmax } from './LogSoftmax.js';
import { MatMul } from './MatMul.js';
import { MatMulInteger } from './MatMulInteger.js';
import { MatMulNBits } from './MatMulNBits.js';
import { Max } from './Max.js';
import { MaxPool } from './MaxPool.js';
import { Mean } from './Mean.js';
import { Min } from './Min.js';
import { Mod } from './Mod.js';
import { Mul } from './Mul.js';
import { Neg } from './Neg.js';
import { NonZero } from './NonZero.js';
import { Not } from './Not.js';
import { Or } from './Or.js';
import { Pad } from './Pad.js';
import { Pow } from './Pow.js';
import { QLinearMatMul } from './QLinearMatMul.js';
import { QuantizeLinear } from './QuantizeLinear.js';
import { Range } from './Range.js';
import { Reciprocal } from './Reciprocal.js';
import { ReduceL1 } from './ReduceL1.js';
import { ReduceL2 } from './ReduceL2.js';
import { ReduceLogSumExp } from './ReduceLogSumExp.js';
import { ReduceMax } from './ReduceMax.js';
import { ReduceMean } from './ReduceMean.js';
import { ReduceMin } from './ReduceMin.js';
import { ReduceProd } from './ReduceProd.js';
import { ReduceSum } from './ReduceSum.js';
import { ReduceSumSquare } from './ReduceSumSquare.js';
import { Relu } from './Relu.js';
import { Reshape } from './Reshape.js';
import { Resize } from './Resize.js';
import { Round } from './Round.js';
import { ScatterND } from './ScatterND.js';
import { Shape } from './Shape.js';
import { Sigmoid } from './Sigmoid.js';
import { Sign } from './Sign.js';
import { Sin } from './Sin.js';
import { Size } from './Size.js';
import { Slice } from './Slice.js';
import { Softmax } from './Softmax.js';
import { Softplus } from './Softplus.js';
import { Split } from './Split.js';
import { Sqrt } from './Sqrt.js';
import { Squeeze } from './Squeeze.js';
import { Sub } from './Sub.js';
import { Sum } from './Sum.js';
import { Tan } from './Tan.js';
import { Tanh } from './Tanh.js';
import { Tile } from './Tile.js';
import { TopK } from './TopK.js';
import { Transpose } from './Transpose.js';
import { Trilu } from './Trilu.js';
import { Unsqueeze } from './Unsqueeze.js';
import { Where } from './Where.js';
import { Xor } from './Xor.js';

export const KERNELS: readonly Kernel[] = [
  Abs,
  Add,
  And,
  ArgMax,
  ArgMin,
  AveragePool,
  BatchNormalization,
  Cast,
  CastLike,
  Ceil,
  Clip,
  Concat,
  Constant,
  ConstantOfShape,
  Conv,
  ConvInteger,
  ConvNHWC,
  ConvTranspose,
  ConvTransposeNHWC,
  Cos,
  CumSum,
  DequantizeLinear,
  DequantizeNBits,
  Div,
  Dropout,
  DynamicQuantizeLinear,
  Einsum,
  Elu,
  Equal,
  Erf,
  Exp,
  Expand,
  Flatten,
  Floor,
  Gather,
  GatherElements,
  Gelu,
  Gemm,
  GlobalAveragePool,
  GlobalMaxPool,
  Greater,
  GreaterOrEqual,
  HardSigmoid,
  HardSwish,
  Identity,
  If,
  IsInf,
  IsNaN,
  LayerNormalization,
  LeakyRelu,
  Less,
  LessOrEqual,
  Log,
  LogSoftmax,
  MatMul,
  MatMulInteger,
  MatMulNBits,
  Max,
  MaxPool,
  Mean,
  Min,
  Mod,
  Mul,
  Neg,
  NonZero,
  Not,
  Or,
  Pad,
  Pow,
  QLinearMatMul,
  QuantizeLinear,
  Range,
  Reciprocal,
  ReduceL1,
  ReduceL2,
  ReduceLogSumExp,
  ReduceMax,
  ReduceMean,
  ReduceMin,
  ReduceProd,
  ReduceSum,
  ReduceSumSquare,
  Relu,
  Reshape,
  Resize,
  Round,
  ScatterND,
  Shape,
  Sigmoid,
  Sign,
  Sin,
  Size,
  Slice,
  Softmax,
  Softplus,
  Split,
  Sqrt,
  Squeeze,
  Sub,
  Sum,
  Tan,
  Tanh,
  Tile,
  TopK,
  Transpose,
  Trilu,
  Unsqueeze,
  Where,
  Xor,
];
