// AccessLogDestination+Parsing: reads `server.access_log` (stdout | off | a file path).

extension AccessLogDestination {
    /// `stdout`, `off`, or a file path to append to. The words are taken as written, so YAML 1.1's
    /// reading of `off` as false does not apply.
    init(configText text: String) throws(InvalidValue) {
        switch text {
        case "stdout":
            self = .stdout
        case "off":
            self = .off
        default:
            guard !text.contains("\0"), !text.contains("\n") else {
                throw InvalidValue("\(ConfigText.quoted(text)) is not a usable file path")
            }
            guard text.first?.isWhitespace != true, text.last?.isWhitespace != true else {
                throw InvalidValue("\(ConfigText.quoted(text)) starts or ends with a space; expected stdout, off or a file path")
            }
            self = .file(path: text)
        }
    }
}
