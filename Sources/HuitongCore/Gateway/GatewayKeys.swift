import Foundation

/// The keys of a lookup, read from its query string: `?sfzhm=A&sfzhm=B` or `?sfzhm=A,B`; for a composite key each
/// key column is given the same number of values and they pair up in order.
public enum GatewayKeys {
    /// Parameters that are not keys and that every lookup accepts.
    public static let reservedParameters: Set<String> = ["lang"]

    public static func parse(
        _ parameters: [(name: String, value: String)], keyColumns: [String], limit: Int
    ) throws(GatewayError) -> [[String]] {
        var valuesByColumn: [String: [String]] = [:]
        let known = Set(keyColumns)
        for (name, value) in parameters {
            guard known.contains(name) else {
                if reservedParameters.contains(name) { continue }
                throw .unknownParameter(name)
            }
            for part in value.split(separator: ",", omittingEmptySubsequences: true) {
                let key = String(part).trimmedOfWhitespace()
                if !key.isEmpty { valuesByColumn[name, default: []].append(key) }
            }
        }
        var columns: [[String]] = []
        for column in keyColumns {
            guard let values = valuesByColumn[column], !values.isEmpty else { throw .missingKey(column: column) }
            columns.append(values)
        }
        let count = columns.first?.count ?? 0
        guard columns.allSatisfy({ $0.count == count }) else { throw .unevenKeys }
        guard count <= limit else { throw .tooManyKeys(limit: limit) }
        var keys: [[String]] = []
        var seen = Set<[String]>()
        for index in 0..<count {
            let key = columns.map { $0[index] }
            if seen.insert(key).inserted { keys.append(key) }
        }
        return keys
    }
}
