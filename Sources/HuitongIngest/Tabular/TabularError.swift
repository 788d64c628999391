import HuitongCore

/// Why a CSV or XLSX file could not be read or written.
///
/// Every case names where the problem is (a line of a CSV file, a row or cell of a sheet) because the person
/// who sees the message usually has to open the file and fix it by hand.
public enum TabularError: HuitongError, Equatable, Hashable {
    // MARK: Text encoding

    /// The file starts with a UTF-16 or UTF-32 byte order mark; `name` is the encoding it announces.
    case unsupportedEncoding(name: String)
    /// The bytes are not valid text in `encoding`; `line` is the physical line (1-based) where decoding failed.
    case invalidText(TextEncoding, line: Int)
    /// The operating system cannot convert this encoding (for example an iconv without GB18030).
    case encodingUnavailable(TextEncoding)

    // MARK: CSV

    /// A quoted field opened on `line` is never closed: the file ends inside the quotes.
    case unterminatedQuote(line: Int)
    /// Field number `column` (1-based) of the record starting on `line` is longer than `limit` bytes.
    case fieldTooLong(line: Int, column: Int, limit: Int)
    /// The record starting on `line` has more than `limit` fields.
    case tooManyColumns(line: Int, limit: Int)

    // MARK: XLSX reading

    /// The file is not a ZIP archive, so it cannot be an XLSX workbook (or it is damaged).
    case notAnXLSXFile
    /// A line of an NDJSON file (or a JSON array) that is not a JSON object.
    case malformedJSON(line: Int)
    /// The file is an Excel 97–2003 `.xls` workbook, which is a different format from `.xlsx`.
    case legacyXLSFile
    /// The file cannot be opened or read; `path` is where it was looked for.
    case unreadableFile(path: String)
    /// A part every workbook needs (such as `xl/workbook.xml` or a worksheet) is missing from the archive.
    case missingPart(String)
    /// The XML of `part` is not well formed or does not follow SpreadsheetML; `row` is the last sheet row read.
    case malformedXML(part: String, row: Int?)
    /// The workbook has no sheet called `name`; `available` lists the ones it has, in workbook order.
    case noSuchSheet(String, available: [String])
    /// The workbook's shared-strings table is larger than `limit` bytes, the memory the reader may spend on it.
    case sharedStringsTooLarge(limit: Int)
    /// The workbook's shared-strings table holds more than `limit` strings.
    case tooManySharedStrings(limit: Int)
    /// The loads running on this node together would hold more than `budget` bytes: the per-node memory budget.
    case ingestMemoryBudgetExhausted(budget: Int)
    /// A cell (`reference`, e.g. `C5`) of `sheet` holds more than `limit` bytes of text.
    case cellTooLong(sheet: String, reference: String, limit: Int)
    /// A row of `sheet` has a cell beyond column number `limit`.
    case tooManyCellsInRow(sheet: String, row: Int, limit: Int)

    // MARK: XLSX writing

    /// `name` cannot be used as a sheet name in Excel.
    case invalidSheetName(String, SheetNameProblem)
    /// Excel cannot open a sheet with more than `limit` rows or columns (`what` says which).
    case sheetTooLarge(sheet: String, what: SheetDimension, limit: Int)
    /// Excel cannot hold more than `limit` characters (UTF-16 code units) in one cell.
    case cellTextTooLongForExcel(sheet: String, reference: String, limit: Int)
    /// Building the ZIP archive failed; this is a defect or an out-of-memory condition, not a user error.
    case archiveWriteFailed(String)

    /// What is wrong with a proposed sheet name, following the rules Excel enforces.
    public enum SheetNameProblem: Sendable, Hashable {
        case empty
        /// Longer than 31 characters.
        case tooLong
        /// One of `[ ] : * ? / \`.
        case forbiddenCharacter(Character)
        /// Starts or ends with an apostrophe.
        case apostropheAtEdge
        /// `History` is reserved by Excel.
        case reserved
        /// Another sheet already has this name (compared ignoring case, as Excel does).
        case duplicate
    }

    /// Which limit of a sheet was exceeded.
    public enum SheetDimension: Sendable, Hashable {
        case rows
        case columns
    }

    public var code: String {
        switch self {
        case .unsupportedEncoding: "tabular_unsupported_encoding"
        case .invalidText: "tabular_invalid_text"
        case .encodingUnavailable: "tabular_encoding_unavailable"
        case .unterminatedQuote: "csv_unterminated_quote"
        case .fieldTooLong: "csv_field_too_long"
        case .tooManyColumns: "csv_too_many_columns"
        case .notAnXLSXFile: "xlsx_not_a_workbook"
        case .malformedJSON: "json_malformed"
        case .legacyXLSFile: "xlsx_legacy_xls"
        case .unreadableFile: "tabular_unreadable_file"
        case .missingPart: "xlsx_missing_part"
        case .malformedXML: "xlsx_malformed_xml"
        case .noSuchSheet: "xlsx_no_such_sheet"
        case .sharedStringsTooLarge: "xlsx_shared_strings_too_large"
        case .tooManySharedStrings: "xlsx_too_many_shared_strings"
        case .ingestMemoryBudgetExhausted: "ingest_memory_budget_exhausted"
        case .cellTooLong: "xlsx_cell_too_long"
        case .tooManyCellsInRow: "xlsx_too_many_cells"
        case .invalidSheetName: "xlsx_invalid_sheet_name"
        case .sheetTooLarge: "xlsx_sheet_too_large"
        case .cellTextTooLongForExcel: "xlsx_cell_text_too_long"
        case .archiveWriteFailed: "xlsx_archive_write_failed"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .ingestMemoryBudgetExhausted:
            .unavailable
        case .fieldTooLong, .tooManyColumns, .sharedStringsTooLarge, .tooManySharedStrings, .cellTooLong,
            .tooManyCellsInRow,
            .sheetTooLarge, .cellTextTooLongForExcel:
            .tooLarge
        case .encodingUnavailable, .archiveWriteFailed:
            .internal
        case .unsupportedEncoding, .invalidText, .unterminatedQuote, .notAnXLSXFile, .malformedJSON, .legacyXLSFile,
            .unreadableFile, .missingPart, .malformedXML, .noSuchSheet, .invalidSheetName:
            .badInput
        }
    }

    public var message: BilingualText {
        switch self {
        case .unsupportedEncoding(let name):
            BilingualText(
                zh: "不支持 \(name) 编码的文件，请另存为 UTF-8 或 GB18030（GBK）编码",
                en: "files encoded as \(name) are not supported; save the file as UTF-8 or GB18030 (GBK)"
            )
        case .invalidText(let encoding, let line):
            BilingualText(
                zh: "第 \(line) 行含有不是 \(encoding.rawValue) 编码的字节，请确认文件编码",
                en: "line \(line) contains bytes that are not valid \(encoding.rawValue); check the file's encoding"
            )
        case .encodingUnavailable(let encoding):
            BilingualText(
                zh: "本机无法转换 \(encoding.rawValue) 编码", en: "this system cannot convert \(encoding.rawValue) text")
        case .unterminatedQuote(let line):
            BilingualText(
                zh: "第 \(line) 行开始的引号字段没有结束引号，文件到此结束",
                en: "the quoted field starting on line \(line) has no closing quote before the end of the file"
            )
        case .fieldTooLong(let line, let column, let limit):
            BilingualText(
                zh: "第 \(line) 行第 \(column) 列的内容超过 \(limit) 字节上限",
                en: "field \(column) of the record on line \(line) is longer than the limit of \(limit) bytes"
            )
        case .tooManyColumns(let line, let limit):
            BilingualText(
                zh: "第 \(line) 行的列数超过 \(limit) 列上限",
                en: "the record on line \(line) has more than the limit of \(limit) fields"
            )
        case .malformedJSON(let line):
            BilingualText(
                zh: "第 \(line) 行不是有效的 JSON 对象", en: "line \(line) is not a valid JSON object")
        case .notAnXLSXFile:
            BilingualText(
                zh: "文件不是有效的 XLSX 工作簿（不是 ZIP 压缩包或已损坏）",
                en: "the file is not a valid XLSX workbook (not a ZIP archive, or damaged)"
            )
        case .legacyXLSFile:
            BilingualText(
                zh: "这是旧版 Excel 97–2003（.xls）文件，请在 Excel 或 WPS 中另存为 .xlsx 后再上传",
                en: "this is an Excel 97–2003 (.xls) file; save it as .xlsx in Excel or WPS and upload it again"
            )
        case .unreadableFile(let path):
            BilingualText(zh: "无法读取文件：\(path)", en: "cannot read the file \(path)")
        case .missingPart(let part):
            BilingualText(
                zh: "工作簿缺少必需的部分 \(part)，文件可能已损坏",
                en: "the workbook lacks its part \(part); the file may be damaged"
            )
        case .malformedXML(let part, let row):
            if let row {
                BilingualText(
                    zh: "工作簿的 \(part) 在第 \(row) 行附近格式错误，文件可能已损坏",
                    en: "\(part) in the workbook is malformed near row \(row); the file may be damaged"
                )
            } else {
                BilingualText(
                    zh: "工作簿的 \(part) 格式错误，文件可能已损坏",
                    en: "\(part) in the workbook is malformed; the file may be damaged"
                )
            }
        case .noSuchSheet(let name, let available):
            BilingualText(
                zh: "工作簿中没有名为“\(name)”的工作表，现有工作表：\(available.joined(separator: "、"))",
                en: "the workbook has no sheet named \"\(name)\"; its sheets are: \(available.joined(separator: ", "))"
            )
        case .sharedStringsTooLarge(let limit):
            BilingualText(
                zh:
                    "工作簿的共享字符串表超过 \(limit) 字节上限（设置项 \(XLSXReader.Limits.bytesSetting)）；请改用 CSV 文件，或由管理员调高该上限",
                en:
                    "the workbook's shared-strings table is larger than the limit of \(limit) bytes (setting \(XLSXReader.Limits.bytesSetting)); load the data as CSV, or have the operator raise the limit"
            )
        case .tooManySharedStrings(let limit):
            BilingualText(
                zh:
                    "工作簿的共享字符串表超过 \(limit) 个字符串的上限（设置项 \(XLSXReader.Limits.countSetting)）；请改用 CSV 文件，或由管理员调高该上限",
                en:
                    "the workbook's shared-strings table holds more than the limit of \(limit) strings (setting \(XLSXReader.Limits.countSetting)); load the data as CSV, or have the operator raise the limit"
            )
        case .ingestMemoryBudgetExhausted(let budget):
            BilingualText(
                zh:
                    "本节点同时进行的归集任务已用尽 \(budget) 字节的内存预算（设置项 \(IngestMemoryBudget.setting)），未发布任何数据；请稍后重试，或改用 CSV 文件",
                en:
                    "the loads running on this node have used up their memory budget of \(budget) bytes (setting \(IngestMemoryBudget.setting)); nothing was published; retry later, or load the data as CSV"
            )
        case .cellTooLong(let sheet, let reference, let limit):
            BilingualText(
                zh: "工作表“\(sheet)”的单元格 \(reference) 内容超过 \(limit) 字节上限",
                en: "cell \(reference) of sheet \"\(sheet)\" is longer than the limit of \(limit) bytes"
            )
        case .tooManyCellsInRow(let sheet, let row, let limit):
            BilingualText(
                zh: "工作表“\(sheet)”第 \(row) 行的列数超过 \(limit) 列上限",
                en: "row \(row) of sheet \"\(sheet)\" has cells beyond the limit of \(limit) columns"
            )
        case .invalidSheetName(let name, let problem):
            Self.message(forSheetName: name, problem)
        case .sheetTooLarge(let sheet, .rows, let limit):
            BilingualText(
                zh: "工作表“\(sheet)”超过 Excel 的 \(limit) 行上限",
                en: "sheet \"\(sheet)\" has more than Excel's limit of \(limit) rows"
            )
        case .sheetTooLarge(let sheet, .columns, let limit):
            BilingualText(
                zh: "工作表“\(sheet)”超过 Excel 的 \(limit) 列上限",
                en: "sheet \"\(sheet)\" has more than Excel's limit of \(limit) columns"
            )
        case .cellTextTooLongForExcel(let sheet, let reference, let limit):
            BilingualText(
                zh: "工作表“\(sheet)”的单元格 \(reference) 超过 Excel 单元格 \(limit) 个字符的上限",
                en: "cell \(reference) of sheet \"\(sheet)\" exceeds Excel's limit of \(limit) characters per cell"
            )
        case .archiveWriteFailed(let reason):
            BilingualText(zh: "生成 XLSX 文件失败：\(reason)", en: "building the XLSX file failed: \(reason)")
        }
    }

    public var details: [FieldIssue] {
        switch self {
        case .noSuchSheet, .invalidSheetName:
            [FieldIssue(field: "sheet", message: message)]
        default:
            []
        }
    }

    private static func message(forSheetName name: String, _ problem: SheetNameProblem) -> BilingualText {
        switch problem {
        case .empty:
            BilingualText(zh: "工作表名称不能为空", en: "a sheet name must not be empty")
        case .tooLong:
            BilingualText(
                zh: "工作表名称“\(name)”超过 31 个字符", en: "sheet name \"\(name)\" is longer than 31 characters")
        case .forbiddenCharacter(let character):
            BilingualText(
                zh: "工作表名称“\(name)”含有不允许的字符“\(character)”（不能含有 [ ] : * ? / \\）",
                en: "sheet name \"\(name)\" contains \"\(character)\", which Excel forbids ([ ] : * ? / \\)"
            )
        case .apostropheAtEdge:
            BilingualText(
                zh: "工作表名称“\(name)”不能以单引号开头或结尾",
                en: "sheet name \"\(name)\" must not start or end with an apostrophe"
            )
        case .reserved:
            BilingualText(zh: "工作表名称“\(name)”是 Excel 的保留名称", en: "sheet name \"\(name)\" is reserved by Excel")
        case .duplicate:
            BilingualText(zh: "工作表名称“\(name)”重复", en: "there is already a sheet named \"\(name)\"")
        }
    }
}

extension TabularError: CustomStringConvertible {
    public var description: String { message.combined }
}
