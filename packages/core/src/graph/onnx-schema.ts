/**
 * The ONNX protobuf schema (onnx.proto3, IR version 10/11), written by us as a protobufjs JSON
 * descriptor so no .proto text is parsed at runtime and the codec works unchanged in Node,
 * browsers and bundlers. Field numbers and types follow the ONNX IR spec.
 *
 * Messages the samclip IR does not model field by field (FunctionProto, TrainingInfoProto,
 * SparseTensorProto, TensorAnnotation, DeviceConfigurationProto, NodeDeviceConfigurationProto)
 * are declared as `bytes`: a length-delimited embedded message and a bytes field are the same on
 * the wire, so those pieces come back as their exact encoded bytes and are written back verbatim.
 */
import protobuf from 'protobufjs/light.js';

const packed = { packed: true } as const;

const field = (id: number, type: string, rule?: 'repeated', options?: typeof packed) => ({
  id,
  type,
  ...(rule ? { rule } : {}),
  ...(options ? { options } : {}),
});

/** protobufjs JSON descriptor of the `onnx` package. */
export const ONNX_SCHEMA_DESCRIPTOR = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: field(1, 'string'),
            refAttrName: field(21, 'string'),
            docString: field(13, 'string'),
            type: field(20, 'int32'),
            f: field(2, 'float'),
            i: field(3, 'int64'),
            s: field(4, 'bytes'),
            t: field(5, 'TensorProto'),
            g: field(6, 'GraphProto'),
            sparseTensor: field(22, 'bytes'),
            tp: field(14, 'TypeProto'),
            floats: field(7, 'float', 'repeated', packed),
            ints: field(8, 'int64', 'repeated', packed),
            strings: field(9, 'bytes', 'repeated'),
            tensors: field(10, 'TensorProto', 'repeated'),
            graphs: field(11, 'GraphProto', 'repeated'),
            sparseTensors: field(23, 'bytes', 'repeated'),
            typeProtos: field(15, 'TypeProto', 'repeated'),
          },
        },
        ValueInfoProto: {
          fields: {
            name: field(1, 'string'),
            type: field(2, 'TypeProto'),
            docString: field(3, 'string'),
            metadataProps: field(4, 'StringStringEntryProto', 'repeated'),
          },
        },
        NodeProto: {
          fields: {
            input: field(1, 'string', 'repeated'),
            output: field(2, 'string', 'repeated'),
            name: field(3, 'string'),
            opType: field(4, 'string'),
            domain: field(7, 'string'),
            overload: field(8, 'string'),
            attribute: field(5, 'AttributeProto', 'repeated'),
            docString: field(6, 'string'),
            metadataProps: field(9, 'StringStringEntryProto', 'repeated'),
            deviceConfigurations: field(10, 'bytes', 'repeated'),
          },
        },
        ModelProto: {
          fields: {
            irVersion: field(1, 'int64'),
            opsetImport: field(8, 'OperatorSetIdProto', 'repeated'),
            producerName: field(2, 'string'),
            producerVersion: field(3, 'string'),
            domain: field(4, 'string'),
            modelVersion: field(5, 'int64'),
            docString: field(6, 'string'),
            graph: field(7, 'GraphProto'),
            metadataProps: field(14, 'StringStringEntryProto', 'repeated'),
            trainingInfo: field(20, 'bytes', 'repeated'),
            functions: field(25, 'bytes', 'repeated'),
            configuration: field(26, 'bytes', 'repeated'),
          },
        },
        StringStringEntryProto: {
          fields: {
            key: field(1, 'string'),
            value: field(2, 'string'),
          },
        },
        GraphProto: {
          fields: {
            node: field(1, 'NodeProto', 'repeated'),
            name: field(2, 'string'),
            initializer: field(5, 'TensorProto', 'repeated'),
            sparseInitializer: field(15, 'bytes', 'repeated'),
            docString: field(10, 'string'),
            input: field(11, 'ValueInfoProto', 'repeated'),
            output: field(12, 'ValueInfoProto', 'repeated'),
            valueInfo: field(13, 'ValueInfoProto', 'repeated'),
            quantizationAnnotation: field(14, 'bytes', 'repeated'),
            metadataProps: field(16, 'StringStringEntryProto', 'repeated'),
          },
        },
        TensorProto: {
          fields: {
            dims: field(1, 'int64', 'repeated', packed),
            dataType: field(2, 'int32'),
            segment: field(3, 'TensorProto.Segment'),
            floatData: field(4, 'float', 'repeated', packed),
            int32Data: field(5, 'int32', 'repeated', packed),
            stringData: field(6, 'bytes', 'repeated'),
            int64Data: field(7, 'int64', 'repeated', packed),
            name: field(8, 'string'),
            docString: field(12, 'string'),
            rawData: field(9, 'bytes'),
            externalData: field(13, 'StringStringEntryProto', 'repeated'),
            dataLocation: field(14, 'int32'),
            doubleData: field(10, 'double', 'repeated', packed),
            uint64Data: field(11, 'uint64', 'repeated', packed),
            metadataProps: field(16, 'StringStringEntryProto', 'repeated'),
          },
          nested: {
            Segment: {
              fields: {
                begin: field(1, 'int64'),
                end: field(2, 'int64'),
              },
            },
          },
        },
        SparseTensorProto: {
          fields: {
            values: field(1, 'TensorProto'),
            indices: field(2, 'TensorProto'),
            dims: field(3, 'int64', 'repeated', packed),
          },
        },
        TensorShapeProto: {
          fields: {
            dim: field(1, 'TensorShapeProto.Dimension', 'repeated'),
          },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: {
                dimValue: field(1, 'int64'),
                dimParam: field(2, 'string'),
                denotation: field(3, 'string'),
              },
            },
          },
        },
        TypeProto: {
          oneofs: {
            value: { oneof: ['tensorType', 'sequenceType', 'mapType', 'optionalType', 'sparseTensorType', 'opaqueType'] },
          },
          fields: {
            tensorType: field(1, 'TypeProto.Tensor'),
            sequenceType: field(4, 'TypeProto.Sequence'),
            mapType: field(5, 'TypeProto.Map'),
            optionalType: field(9, 'TypeProto.Optional'),
            sparseTensorType: field(8, 'TypeProto.SparseTensor'),
            opaqueType: field(7, 'TypeProto.Opaque'),
            denotation: field(6, 'string'),
          },
          nested: {
            Tensor: {
              fields: {
                elemType: field(1, 'int32'),
                shape: field(2, 'TensorShapeProto'),
              },
            },
            Sequence: {
              fields: { elemType: field(1, 'TypeProto') },
            },
            Map: {
              fields: {
                keyType: field(1, 'int32'),
                valueType: field(2, 'TypeProto'),
              },
            },
            Optional: {
              fields: { elemType: field(1, 'TypeProto') },
            },
            SparseTensor: {
              fields: {
                elemType: field(1, 'int32'),
                shape: field(2, 'TensorShapeProto'),
              },
            },
            Opaque: {
              fields: {
                domain: field(1, 'string'),
                name: field(2, 'string'),
              },
            },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: field(1, 'string'),
            version: field(2, 'int64'),
          },
        },
      },
    },
  },
} as const;

/** AttributeProto.AttributeType values. */
export const ATTRIBUTE_TYPE = {
  undefined: 0,
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
  tensors: 9,
  graphs: 10,
  sparse_tensor: 11,
  sparse_tensors: 12,
  type_proto: 13,
  type_protos: 14,
} as const;

/** TensorProto.DataLocation.EXTERNAL */
export const DATA_LOCATION_EXTERNAL = 1;

export interface OnnxMessageTypes {
  model: protobuf.Type;
  tensor: protobuf.Type;
}

let cachedTypes: OnnxMessageTypes | undefined;

/** The protobufjs types, built once on first use (building generates the codec functions). */
export function onnxMessageTypes(): OnnxMessageTypes {
  if (!cachedTypes) {
    const root = protobuf.Root.fromJSON(ONNX_SCHEMA_DESCRIPTOR as unknown as protobuf.INamespace);
    cachedTypes = {
      model: root.lookupType('onnx.ModelProto'),
      tensor: root.lookupType('onnx.TensorProto'),
    };
  }
  return cachedTypes;
}
