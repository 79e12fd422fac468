// GatehouseVersion: the version string `gatehouse version` prints.

enum GatehouseVersion {
    static let current = "0.1.0"
}
