import Testing
@testable import GatehouseRedis

@Test func hiredisIsLinked() {
    #expect(Hiredis.version.split(separator: ".").count == 3)
}
