//! Wire types of both services, generated from `proto/` at build time.
//!
//! Each package also exports its encoded `FileDescriptorSet`, which the
//! services hand to tonic-reflection so that grpcurl needs no .proto files.

pub mod tokenizer {
    pub mod v1 {
        tonic::include_proto!("tokenizer.v1");
        /// Encoded descriptor set of `tokenizer.v1`, for server reflection.
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            include_bytes!(concat!(env!("OUT_DIR"), "/tokenizer_descriptor.bin"));
    }
}

pub mod classifier {
    pub mod v1 {
        tonic::include_proto!("classifier.v1");
        /// Encoded descriptor set of `classifier.v1`, for server reflection.
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            include_bytes!(concat!(env!("OUT_DIR"), "/classifier_descriptor.bin"));
    }
}
