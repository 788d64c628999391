#!/usr/bin/env python3
"""Writes the hand-made seed corpora under fuzz/corpus/<target>/ (committed; run again after editing this file).

Seeds are small valid and nearly-valid inputs taken from the test fixtures (Tests/HuitongIngestTests,
Tests/HuitongCoreTests, Tests/HuitongServerTests) and the demo's data: libFuzzer mutates them into the rest.
Each target's first byte(s) choose options; see the comments in fuzz/Sources/<target>/main.swift.
"""
import os
import shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as file:
        file.write(data)


# Inputs the fuzzers found (named regression-*) are kept: each is also a test in the normal suite.
for target in ("FuzzCSV", "FuzzJSONRows", "FuzzXLSX", "FuzzMultipart", "FuzzIdentifiers"):
    folder = os.path.join(ROOT, target)
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        if not name.startswith("regression-"):
            os.remove(os.path.join(folder, name))

# --- CSV: selector byte (encoding | delimiter << 2 | chunk << 5), then the file --------------------------------
population = (
    "sfzhm,xm,xb,csrq,hjdz,sjhm,xzqhdm,djrq\n"
    "34150219900307001X,张三,1,1990-03-07,\"六安市金安区三里桥街道, 1号\",13812345678,341502,2010-01-01\n"
    "341502198512120026,李四,2,1985-12-12,\"六安市裕安区\n西市街道\",,341503,2011-05-06\n"
    "341502197001010038,\"王\"\"五\",1,1970-01-01,六安市,15900001111,341502,2012-12-31\n"
)
write("FuzzCSV", "population-utf8", b"\x00" + population.encode())
write("FuzzCSV", "population-chunks-1", b"\x20" + population.encode())
write("FuzzCSV", "population-bom", b"\x61" + b"\xef\xbb\xbf" + population.encode())
write("FuzzCSV", "population-gb18030", b"\x02" + population.encode("gb18030"))
write("FuzzCSV", "population-gb18030-auto", b"\x40" + population.encode("gb18030"))
write("FuzzCSV", "semicolon", b"\x04" + "a;b;c\r\n1;\"2;3\";4\r\n".encode())
write("FuzzCSV", "tab", b"\x88" + "名称\t数量\n北京\t1\n".encode())
write("FuzzCSV", "pipe", b"\x10" + "a|b\n\"x|y\"|z\n".encode())
write("FuzzCSV", "unterminated-quote", b"\x00" + b'a,b\n"1,2\n')
write("FuzzCSV", "crlf-quotes", b"\xa0" + b'"a","b"\r\n"",""""\r\n,\r\n')
write("FuzzCSV", "bad-utf8", b"\x01" + b"a,b\n\xff\xfe,1\n")
write("FuzzCSV", "gb18030-four-byte", b"\x02" + "㐀,𠀀\n".encode("gb18030"))
# Found by FuzzCSV: blank lines before a pipe-separated header were read with different delimiters depending on
# the chunks (CSVParserTests "the detected delimiter does not depend on how the file is cut into chunks").
write("FuzzCSV", "regression-blank-lines-pipe", b"\x00" + b"\n" * 22 + b"J" + b"|" * 11 + b"\x00" * 98)

# --- JSON rows: selector byte (layout | chunk << 1), then the file ------------------------------------------------
array = """[
  {"sfzhm": "11010519491231002X", "xm": "张三", "bz": "含 } 和 ] 与 \\"引号\\"", "n": 3},
  {"xm": "李四", "sfzhm": "110105195001010012", "extra": {"a": [1, {"b": "}"}]}, "n": 2.5},
  {"sfzhm": "110105196002020014", "xm": null, "bz": true}
]"""
lines = '{"a": "1", "b": "x"}\n\n{"b": "y", "a": 2}\r\n{"a": 3}'
write("FuzzJSONRows", "array", b"\x01" + array.encode())
write("FuzzJSONRows", "array-chunks-1", b"\x03" + array.encode())
write("FuzzJSONRows", "lines", b"\x00" + lines.encode())
write("FuzzJSONRows", "lines-chunks-2", b"\x04" + lines.encode())
write("FuzzJSONRows", "lines-numbers", b"\x06" + b'{"n": 1e300, "m": -0.0, "k": 123456789012345678}\n{"n": "\\u4e2d\\ud83d\\ude00"}\n')
write("FuzzJSONRows", "array-empty", b"\x01" + b"[]")
write("FuzzJSONRows", "array-truncated", b"\x01" + b'[{"a": "1"}, {"a": ')
write("FuzzJSONRows", "lines-not-object", b"\x00" + b'[1, 2]\n"x"\n')

# --- XLSX: XML parts separated by NUL (sheet, sharedStrings, styles, workbook, workbook rels) ------------------
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
shared = f"""<?xml version="1.0" encoding="UTF-8"?>
<sst xmlns="{MAIN}" count="4" uniqueCount="4">
  <si><t>名称</t></si>
  <si><t>数量</t></si>
  <si><r><rPr><b/></rPr><t>北京</t></r><r><t xml:space="preserve"> 朝阳区</t></r><rPh sb="0" eb="2"><t>ペキン</t></rPh></si>
  <si><t>A&amp;B &lt;1&gt; 第一行_x000D__x000A_第二行</t></si>
</sst>"""
styles = f"""<?xml version="1.0" encoding="UTF-8"?>
<styleSheet xmlns="{MAIN}">
  <numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy/m/d\\ h:mm"/><numFmt numFmtId="165" formatCode="#,##0.00&quot;元&quot;"/></numFmts>
  <cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
  <cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="31"/></cellXfs>
</styleSheet>"""
data_sheet = f"""<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="{MAIN}"><dimension ref="A1:E6"/><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>日期</t></is></c></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1250000</v></c><c r="C2" s="1"><v>45306</v></c></row>
<row r="3"><c r="A3" s="1"/><c r="B3" t="inlineStr"><is><t></t></is></c></row>
<row r="5"><c r="C5" t="b"><v>1</v></c><c r="E5" s="2"><v>45306.5</v></c></row>
<row r="6"><c r="A6" s="3"><v>12.5</v></c><c r="B6" s="4"><v>45351</v></c><c r="C6"><v>0.30000000000000004</v></c><c r="D6" t="e"><v>#N/A</v></c><c r="E6" t="str"><f>A6*2</f><v>25</v></c><c r="F6" t="b"><v>0</v></c></row>
<row r="7"><c r="B7" t="s"><v>3</v></c><c r="A7" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c></row>
</sheetData></worksheet>"""
prefixed = f"""<?xml version="1.0" encoding="UTF-8"?>
<x:worksheet xmlns:x="{MAIN}"><x:sheetData>
<x:row><x:c t="inlineStr"><x:is><x:t>区划</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>人口</x:t></x:is></x:c></x:row>
<x:row><x:c><x:v>110105</x:v></x:c><x:c><x:v>3452460</x:v></x:c></x:row>
</x:sheetData></x:worksheet>"""
odd = f"""<?xml version="1.0"?><!-- comment --><?pi x?><worksheet xmlns="{MAIN}"><sheetData>
<row r="1"><c r="XFD1" t="inlineStr"><is><t><![CDATA[<cdata> & ]]>&#x4e2d;&#20013;&quot;&apos;</t></is></c></row>
</sheetData></worksheet>"""
workbook_1904 = f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><workbookPr date1904="1"/><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>"""
rels = f"""<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{OFFICE}/worksheet" Target="/xl/worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="{OFFICE}/styles" Target="styles.xml"/></Relationships>"""
write("FuzzXLSX", "data-sheet", "\0".join([data_sheet, shared, styles]))
write("FuzzXLSX", "data-sheet-1904", "\0".join([data_sheet, shared, styles, workbook_1904, rels]))
write("FuzzXLSX", "prefixed", prefixed)
write("FuzzXLSX", "cdata-entities", odd)
write("FuzzXLSX", "doctype", f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet xmlns="{MAIN}"/>')
write("FuzzXLSX", "unclosed", f'<worksheet xmlns="{MAIN}"><sheetData><row><c t="s"><v>7</v></c>')
write("FuzzXLSX", "bad-shared-index", "\0".join([f'<worksheet xmlns="{MAIN}"><sheetData><row><c t="s"><v>99</v></c></row></sheetData></worksheet>', shared]))
# A whole XLSX file: a ZIP of the data sheet's parts, stored.
import io, zipfile


class FixedZip(zipfile.ZipFile):
    """Entries dated 2026-01-01, so that the seeds are the same bytes every time."""

    def writestr(self, name, data, compress_type=None, compresslevel=None):
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = self.compression
        super().writestr(info, data)


buffer = io.BytesIO()
with FixedZip(buffer, "w", zipfile.ZIP_STORED) as archive:
    archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    archive.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    archive.writestr("xl/workbook.xml", workbook_1904)
    archive.writestr("xl/_rels/workbook.xml.rels", rels)
    archive.writestr("xl/worksheets/sheet1.xml", data_sheet)
    archive.writestr("xl/sharedStrings.xml", shared)
    archive.writestr("xl/styles.xml", styles)
write("FuzzXLSX", "whole-file.xlsx", buffer.getvalue())
buffer = io.BytesIO()
with FixedZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    archive.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    archive.writestr("xl/workbook.xml", workbook_1904)
    archive.writestr("xl/_rels/workbook.xml.rels", rels)
    archive.writestr("xl/worksheets/sheet1.xml", prefixed)
write("FuzzXLSX", "whole-file-deflated.xlsx", buffer.getvalue())

# --- multipart: Content-Type line, chunk selector byte, body ------------------------------------------------------
boundary = "----huitong-test-7MA4YWxk"
def form(parts, closing=True):
    body = ""
    for headers, value in parts:
        body += f"--{boundary}\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n" + value + "\r\n"
    if closing:
        body += f"--{boundary}--\r\n"
    return body
content_type = f"multipart/form-data; boundary={boundary}\n"
good = form([
    (['Content-Disposition: form-data; name="mode"'], "replace"),
    (['Content-Disposition: form-data; name="encoding"'], "auto"),
    (['Content-Disposition: form-data; name="file"; filename="人口.csv"', "Content-Type: text/csv"], population),
])
write("FuzzMultipart", "upload", content_type + "\x03" + good)
write("FuzzMultipart", "upload-chunks-1", content_type + "\x00" + good)
write("FuzzMultipart", "quoted-boundary", f'multipart/form-data; charset=utf-8; boundary="{boundary}"\n\x04' + good)
write("FuzzMultipart", "filename-star", content_type + "\x02" + form([
    (["Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%E4%BA%BA%E5%8F%A3.csv"], "a,b\n1,2\n")]))
write("FuzzMultipart", "windows-path", content_type + "\x01" + form([
    (['Content-Disposition: form-data; name="file"; filename="C:\\\\Users\\\\x\\\\a \\"b\\".csv"'], "a\n1\n")]))
write("FuzzMultipart", "truncated", content_type + "\x03" + form([
    (['Content-Disposition: form-data; name="file"; filename="a.csv"'], "a,b\n1,2")], closing=False))
write("FuzzMultipart", "no-file", content_type + "\x03" + form([(['Content-Disposition: form-data; name="mode"'], "append")]))
write("FuzzMultipart", "two-files", content_type + "\x03" + form([
    (['Content-Disposition: form-data; name="file"; filename="a.csv"'], "a\n"),
    (['Content-Disposition: form-data; name="file"; filename="b.csv"'], "b\n")]))
write("FuzzMultipart", "no-disposition", content_type + "\x03" + form([(["Content-Type: text/plain"], "x")]))
write("FuzzMultipart", "preamble-epilogue", content_type + "\x03" + "preamble\r\n" + good + "epilogue\r\n")
write("FuzzMultipart", "no-boundary-param", "multipart/form-data\n\x03" + good)
write("FuzzMultipart", "raw", "text/csv\n\x03" + population)

# --- identifiers: the text itself --------------------------------------------------------------------------------
for name, value in [
    ("resident-x", "11010519491231002X"),
    ("resident-lower-x", "11010519491231002x"),
    ("resident", "110105195001010012"),
    ("resident-bad-check", "110105195001010013"),
    ("resident-feb29", "341502200002290016"),
    ("resident-future", "341502209901010011"),
    ("resident-spaces", "  34150219900307001X \t"),
    ("resident-fullwidth", "１１０１０５１９４９１２３１００２Ｘ"),
    ("resident-15", "110105491231002"),
    ("credit", "91350100M000100Y43"),
    ("credit-demo", "91341500MA2N0XXXXX"),
    ("organization", "M0001000-Y"),
    ("organization-plain", "D2143569X"),
    ("region-county", "341502"),
    ("region-prefecture", "341500"),
    ("region-province", "340000"),
    ("region-bad-province", "991502"),
    ("date-compact", "20240229"),
    ("date-iso", "2024-02-29"),
    ("date-bad", "2023-02-29"),
    ("email", "zhang.san@example.cn"),
    ("bank-card", "6222021234567890123"),
    ("empty", ""),
]:
    write("FuzzIdentifiers", name, value)
print("seeds written under", ROOT)
