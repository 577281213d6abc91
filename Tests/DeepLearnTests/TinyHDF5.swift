import CHDF5
import Foundation

/// Writes small HDF5 files for the Caffe import tests (the fixtures of scripts/fixtures are made with h5py;
/// this writer makes crafted ones in the test itself). Datasets are float32, chunked and deflate-compressed;
/// a dataset without values is never written, so it declares its shape but stores no chunks: a file of a
/// few kilobytes can declare billions of elements, as a compressed crafted file would.
enum TinyHDF5 {
    struct Dataset {
        var path: String
        var shape: [Int]
        var values: [Float]?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One of HDF5's predefined ids (`H5T_NATIVE_FLOAT_g`, …): C globals that Swift 6 refuses to read
    /// directly (shared mutable state), so looked up by name; valid after `H5open()`.
    static func predefined(_ name: String) throws -> hid_t {
        guard let p = dlsym(nil, name) else { throw Failure(description: "libhdf5 has no \(name)") }
        return p.load(as: hid_t.self)
    }

    static func write(_ path: String, _ datasets: [Dataset]) throws {
        _ = H5open()
        let file = H5Fcreate(path, 2 /* H5F_ACC_TRUNC */, 0, 0)
        guard file >= 0 else { throw Failure(description: "cannot create \(path)") }
        defer { H5Fclose(file) }
        let float32 = try predefined("H5T_NATIVE_FLOAT_g")
        let lcpl = H5Pcreate(try predefined("H5P_CLS_LINK_CREATE_ID_g"))
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        for d in datasets {
            let dims = d.shape.map { hsize_t($0) }
            let space = H5Screate_simple(Int32(dims.count), dims, nil)
            let dcpl = H5Pcreate(try predefined("H5P_CLS_DATASET_CREATE_ID_g"))
            let chunk = dims.map { max(1, min($0, 4096)) }
            H5Pset_chunk(dcpl, Int32(chunk.count), chunk)
            H5Pset_deflate(dcpl, 9)
            let set = H5Dcreate2(file, d.path, float32, space, lcpl, dcpl, 0)
            guard set >= 0 else { throw Failure(description: "cannot create dataset \(d.path)") }
            if let values = d.values {
                guard H5Dwrite(set, float32, 0, 0, 0, values) >= 0 else { throw Failure(description: "cannot write \(d.path)") }
            }
            H5Dclose(set)
            H5Pclose(dcpl)
            H5Sclose(space)
        }
    }
}
