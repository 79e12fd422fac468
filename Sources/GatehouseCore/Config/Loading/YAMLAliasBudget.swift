// YAMLAliasBudget: refuses YAML whose aliases would expand into a huge tree ("billion laughs").

// libyaml itself, as Yams builds it: Yams only composes whole trees, and composing is where an
// alias bomb explodes, so the budget has to be kept on libyaml's event stream, before Yams runs.
import CYaml

/// How many values the aliases of a config may add once expanded.
///
/// An alias stands for a copy of the value its anchor names, so nine aliases of a list of nine
/// aliases of … make a few hundred bytes stand for billions of values. Yams hashes every mapping
/// key, expanding it (a bomb used as a key hangs the composer), and the config reader walks every
/// list it is given (a list of N aliases of a rule with M prefixes is N×M values). Counting, as
/// libyaml reports them, the values each alias stands for keeps both linear in the file's size.
enum YAMLAliasBudget {
    /// Far beyond what a config needs (the whole example config is about 100 values), far below
    /// what takes a noticeable time to read.
    static let maximumAliasedValues = 100_000

    /// The line of the alias that takes the total past the budget, with the message to report;
    /// nil when the aliases stay within it, or when the text is not YAML (Yams says why).
    static func excess(in yaml: String) -> (line: Int, message: String)? {
        var text = yaml
        return text.withUTF8 { bytes in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { return nil }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            var counter = Counter()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return nil }
                if !counter.count(event) {
                    let line = Int(event.start_mark.line) + 1
                    return (line, "YAML aliases here expand to more than \(maximumAliasedValues) values; write the values out")
                }
            }
        }
    }

    /// The values of the collections being read and of every anchor seen, aliases expanded.
    private struct Counter {
        /// For each open collection: its anchor and the values in it so far (itself included).
        private var open: [(anchor: String?, values: Int)] = []
        private var anchors: [String: Int] = [:]
        private var aliased = 0

        /// Takes one event; false once the aliases have added more than the budget allows.
        mutating func count(_ event: yaml_event_t) -> Bool {
            switch event.type {
            case YAML_SCALAR_EVENT:
                close(anchor: name(event.data.scalar.anchor), values: 1)
            case YAML_SEQUENCE_START_EVENT:
                open.append((name(event.data.sequence_start.anchor), 1))
            case YAML_MAPPING_START_EVENT:
                open.append((name(event.data.mapping_start.anchor), 1))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                if let collection = open.popLast() {
                    close(anchor: collection.anchor, values: collection.values)
                }
            case YAML_ALIAS_EVENT:
                // An undefined alias is Yams's to report; here it counts as one value.
                let values = name(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1
                aliased += values
                guard aliased <= YAMLAliasBudget.maximumAliasedValues else { return false }
                close(anchor: nil, values: values)
            default:
                break
            }
            return true
        }

        /// A value of `values` values is complete: it counts towards its collection, and its anchor
        /// (a later anchor of the same name replaces an earlier one, as in YAML) remembers it.
        private mutating func close(anchor: String?, values: Int) {
            if let anchor {
                anchors[anchor] = values
            }
            if !open.isEmpty {
                // Bounded: every alias's contribution was checked against the budget.
                open[open.count - 1].values += values
            }
        }

        private func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            anchor.map { String(cString: $0) }
        }
    }
}
