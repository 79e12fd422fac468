// Hiredis: what GatehouseRedis knows of the linked hiredis library.
import CHiredis

/// The hiredis library Gatehouse's Redis client is built on.
public enum Hiredis {
    /// The linked hiredis version, e.g. "1.1.0".
    public static var version: String {
        "\(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)"
    }
}
