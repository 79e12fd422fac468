// OpenFileLimitTests: the soft descriptor limit is raised to the hard one, once, and never lowered.
import Glibc
import Testing
import GatehouseCore

@Suite struct OpenFileLimitTests {
    @Test func theSoftLimitIsRaisedToTheHardLimit() throws {
        var limits = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits) == 0)
        let hard = limits.rlim_max == rlim_t.max ? Int.max : Int(clamping: limits.rlim_max)
        let before = try #require(OpenFileLimit.current)
        let raised = OpenFileLimit.raiseToHardLimit()
        if let raised {
            #expect(raised.from == before)
            #expect(raised.to == hard)
        }
        #expect(OpenFileLimit.current == hard)
        // Already at the ceiling: nothing to do, nothing lowered.
        #expect(OpenFileLimit.raiseToHardLimit() == nil)
        #expect(OpenFileLimit.current == hard)
    }
}
