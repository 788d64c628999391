#!/usr/bin/env python3
"""Generate a population file for the demo catalog entry 人口基础信息 (resource code 101001/0001).

    bench/generate_population.py --out bench/out/population-1000000.csv [--rows 1000000] [--seed 4]
                                 [--defects-percent 0.5] [--defects-out PATH]

Writes a UTF-8 CSV (RFC 4180 quoting, "\\n" line ends) with the header

    sfzhm,xm,xb,csrq,hjdz,sjhm,xzqhdm,djrq

sfzhm   18-character 公民身份号码 (GB 11643): county code + YYYYMMDD + 3-digit sequence (odd last digit = male)
        + ISO 7064 MOD 11-2 check character; unique per row (it is the entry's key)
xm      Chinese name: a common surname and one or two given characters
xb      1 male / 2 female, as the ID says
csrq    birth date YYYY-MM-DD, as the ID says
hjdz    address in one of 六安市's seven counties; about 5% contain a comma, 1% a newline, 0.5% a double quote
sjhm    11-digit mobile number starting 13–19; empty in about 10% of rows (the item is optional)
xzqhdm  the county code, the same as the ID's first six digits
djrq    registration date YYYY-MM-DD, after the birth date

About --defects-percent of the rows (default 0.5%) carry exactly one defect each, spread evenly over the file
and over six kinds (see DEFECT_KINDS). The count of each kind goes to stderr; --defects-out writes one line per
defective row — its record number (the header is record 1), the physical line it starts on (which is how
Huitong numbers rows in its error report; quoted newlines make the two differ), kind, column and value — so a
loader's error report can be checked row by row. The same --seed and --rows always give the same bytes. Standard library only.
"""

import argparse
import datetime
import os
import random
import sys
import time

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"  # indexed by the weighted sum mod 11

# 六安市's county-level divisions (GB/T 2260) with some of their towns and streets.
COUNTIES = [
    ("341502", "金安区", ["三里桥街道", "东市街道", "中市街道", "清水河街道", "木厂镇", "东桥镇", "孙岗镇",
                        "三十铺镇", "椿树镇", "横塘岗乡", "施桥镇", "毛坦厂镇"]),
    ("341503", "裕安区", ["鼓楼街道", "西市街道", "小华山街道", "苏埠镇", "韩摆渡镇", "新安镇", "顺河镇",
                        "独山镇", "石婆店镇", "城南镇", "丁集镇", "固镇镇"]),
    ("341504", "叶集区", ["史河街道", "平岗街道", "三元镇", "孙岗乡", "洪集镇", "姚李镇"]),
    ("341522", "霍邱县", ["城关镇", "河口镇", "周集镇", "临水镇", "新店镇", "石店镇", "马店镇", "孟集镇",
                        "花园镇", "扈胡镇", "长集镇", "乌龙镇"]),
    ("341523", "舒城县", ["城关镇", "千人桥镇", "百神庙镇", "杭埠镇", "舒茶镇", "南港镇", "干汊河镇",
                        "张母桥镇", "五显镇", "山七镇", "河棚镇", "晓天镇"]),
    ("341524", "金寨县", ["梅山镇", "麻埠镇", "青山镇", "燕子河镇", "天堂寨镇", "古碑镇", "吴家店镇",
                        "斑竹园镇", "汤家汇镇", "南溪镇", "双河镇", "白塔畈镇"]),
    ("341525", "霍山县", ["衡山镇", "佛子岭镇", "下符桥镇", "但家庙镇", "与儿街镇", "黑石渡镇", "诸佛庵镇",
                        "落儿岭镇", "磨子潭镇", "大化坪镇", "漫水河镇", "单龙寺镇"]),
]
# Rough population shares of the counties (霍邱 and 裕安 are the largest, 叶集 the smallest).
COUNTY_WEIGHTS = [17, 20, 5, 26, 19, 15, 8]

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
            "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯俊峰林雪梅琳婷慧颖晨"
         "欣怡子涵梓轩雨泽宏志海燕春晓东波亮成云飞龙凤德福贵荣昌永胜利兴安庆民生金银宝珍翠花玲莉倩瑶佳悦嘉"
         "思博文昊然睿航一诺若曦梦琪家豪旭阳振华少杰美玲淑兰秀英长江卫红建华德胜")
VILLAGE_SUFFIX = ["村", "社区", "居委会"]
ROADS = ["皖西路", "梅山路", "解放路", "人民路", "佛子岭路", "云路街", "紫竹林路", "长安路", "淠河路", "寿春路",
         "裕安路", "龙河路", "光明路", "健康路", "城北路", "迎宾大道"]
VILLAGE_NAMES = ["红星", "新华", "和平", "东风", "永兴", "大庙", "桥头", "河西", "王圩", "李岗", "张店", "刘郢",
                 "黄墩", "白果", "油坊", "陈湾", "双桥", "枣林", "竹园", "石门", "新庄", "柳树", "茶园", "高塘"]
TAILS = ["附近", "对面", "旁", "东侧", "西侧", "后院"]
LANDMARKS = ["老粮站", "供销社", "幸福", "光荣", "红旗", "向阳"]

# The kinds of defect, each a row that Huitong must reject for exactly this reason, and the column it names.
DEFECT_KINDS = [
    ("bad_check_digit", "sfzhm"),   # the ID's 18th character is not its MOD 11-2 check character
    ("impossible_date", "csrq"),    # e.g. 1987-02-30
    ("empty_required", "xm"),       # the name is empty
    ("malformed_phone", "sjhm"),    # 10 digits, or letters in it
    ("overlong_value", "xb"),       # "12" where the item's length is 1
    ("duplicate_key", "sfzhm"),     # repeats the ID of an earlier valid row
]

COLUMNS = ["sfzhm", "xm", "xb", "csrq", "hjdz", "sjhm", "xzqhdm", "djrq"]
FIRST_BIRTH = datetime.date(1930, 1, 1)
LAST_BIRTH = datetime.date(2023, 12, 31)
LAST_REGISTRATION = datetime.date(2025, 12, 31)


def weighted_digit_sum(digits, first_weight_index):
    return sum(int(d) * WEIGHTS[first_weight_index + i] for i, d in enumerate(digits))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=4, help="random seed (default 4)")
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.add_argument("--defects-percent", type=float, default=0.5,
                        help="percentage of defective rows (default 0.5)")
    parser.add_argument("--defects-out", help="also write the defective rows: record,line,kind,column,value")
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be positive")
    started = time.monotonic()
    rng = random.Random(args.seed)
    rnd = rng.random  # int(rnd() * n) rather than randrange(n): a third of the time, and just as deterministic

    # Precomputed pieces: every date as ISO text, compact text and its share of the ID's weighted sum.
    first_day = FIRST_BIRTH.toordinal()
    day_count = LAST_REGISTRATION.toordinal() - first_day + 1
    birth_days = LAST_BIRTH.toordinal() - first_day + 1
    dates = [datetime.date.fromordinal(first_day + i) for i in range(day_count)]
    iso = [d.isoformat() for d in dates]
    compact = [d.strftime("%Y%m%d") for d in dates]
    date_sum = [weighted_digit_sum(c, 6) for c in compact]
    seq_text = ["%03d" % s for s in range(1000)]
    seq_sum = [weighted_digit_sum(t, 14) for t in seq_text]
    county_sum = [weighted_digit_sum(code, 0) for code, _, _ in COUNTIES]
    county_prefix = ["安徽省六安市" + name for _, name, _ in COUNTIES]

    # Defective rows: evenly spaced (row index 0 is the first data row), kinds taken in turn.
    defect_count = round(args.rows * args.defects_percent / 100)
    defect_at = {}
    for i in range(defect_count):
        defect_at[int((i + 0.5) * args.rows / defect_count)] = DEFECT_KINDS[i % len(DEFECT_KINDS)]
    counts = {kind: 0 for kind, _ in DEFECT_KINDS}
    manifest = []
    line = 2  # the physical line the next record starts on (the header is line 1)

    used_keys = set()
    recent_valid = []  # a few earlier valid rows to duplicate
    county_indices = range(len(COUNTIES))
    # Written beside the target and renamed at the end, so that an interrupted run leaves no half file to reuse.
    out = open(args.out + ".part", "w", encoding="utf-8", newline="")
    out.write(",".join(COLUMNS) + "\n")
    chunk = 20_000
    buffer = []
    for start in range(0, args.rows, chunk):
        n = min(chunk, args.rows - start)
        # Whole columns of random choices at once: much faster than one call per cell.
        counties = rng.choices(county_indices, COUNTY_WEIGHTS, k=n)
        surnames = rng.choices(SURNAMES, k=n)
        given1 = rng.choices(GIVEN, k=n)
        given2 = rng.choices(GIVEN, k=n)
        shape = [rnd() for _ in range(n)]
        for j in range(n):
            row_index = start + j
            c = counties[j]
            # A unique (county, birth date, sequence); a collision is rare and simply drawn again.
            while True:
                day = int(rnd() * birth_days)
                seq = int(rnd() * 1000)
                key = (c * day_count + day) * 1000 + seq
                if key not in used_keys:
                    used_keys.add(key)
                    break
            code, _, towns = COUNTIES[c]
            total = county_sum[c] + date_sum[day] + seq_sum[seq]
            sfzhm = code + compact[day] + seq_text[seq] + CHECK[total % 11]
            xb = "1" if seq & 1 else "2"
            u = shape[j]
            xm = surnames[j] + given1[j] + (given2[j] if u < 0.7 else "")
            # Address: a street number in town, or a village group; the quoted cases come at the low end of u.
            bits = rng.getrandbits(32)
            town = towns[bits % len(towns)]
            if bits & 0x80000000:
                hjdz = "%s%s%s%d号" % (county_prefix[c], town, ROADS[(bits >> 4) % len(ROADS)],
                                      1 + (bits >> 8) % 300)
            else:
                hjdz = "%s%s%s%s%d组%d号" % (county_prefix[c], town, VILLAGE_NAMES[(bits >> 4) % len(VILLAGE_NAMES)],
                                           VILLAGE_SUFFIX[(bits >> 9) % 3], 1 + (bits >> 11) % 15,
                                           1 + (bits >> 15) % 80)
            if u < 0.065:
                if u < 0.005:
                    hjdz = '"' + hjdz + '""' + LANDMARKS[int(u * 10000) % len(LANDMARKS)] + '""宿舍"'
                elif u < 0.015:
                    hjdz = '"' + hjdz + "\n" + TAILS[int(u * 10000) % len(TAILS)] + '"'
                else:
                    hjdz = '"' + hjdz + "," + "%d栋%d单元%d室" % (1 + int(u * 3571) % 20, 1 + int(u * 1009) % 4,
                                                                 101 + int(u * 49999) % 1800) + '"'
            sjhm = "" if u > 0.9 else str(13_000_000_000 + int(rnd() * 7_000_000_000))
            djrq = iso[day + 1 + int(rnd() * (day_count - day - 1))]
            row = [sfzhm, xm, xb, iso[day], hjdz, sjhm, code, djrq]

            defect = defect_at.get(row_index)
            if defect is not None:
                kind, column = defect
                if kind == "duplicate_key" and not recent_valid:
                    kind, column = DEFECT_KINDS[0]  # nothing earlier to repeat yet (tiny files only)
                if kind == "bad_check_digit":
                    right = sfzhm[17]
                    wrong = "0123456789"[(int(right) + 1) % 10 if right != "X" else 0]
                    row[0] = sfzhm[:17] + wrong
                elif kind == "impossible_date":
                    year = iso[day][:4]
                    row[3] = year + ("-02-30", "-02-31", "-04-31", "-06-31", "-09-31", "-11-31", "-13-01")[row_index % 7]
                elif kind == "empty_required":
                    row[1] = ""
                elif kind == "malformed_phone":
                    phone = str(rng.randrange(13_000_000_000, 20_000_000_000))
                    row[5] = phone[:10] if row_index % 2 else phone[:7] + "O" + phone[8:]
                elif kind == "overlong_value":
                    row[2] = "12"
                elif kind == "duplicate_key":
                    earlier = recent_valid.pop(rng.randrange(len(recent_valid)))
                    row = list(earlier)
                counts[kind] += 1
                value = row[COLUMNS.index(column)]
                manifest.append((row_index + 2, line, kind, column, value))
            elif len(recent_valid) < 64:
                recent_valid.append(row)  # a small, changing pool of valid rows for the duplicate-key defect
            else:
                recent_valid[bits % 64] = row
            buffer.append(",".join(row))
            line += 1 + row[4].count("\n")
        buffer.append("")
        out.write("\n".join(buffer))
        buffer = []
    out.close()
    if args.defects_out:
        with open(args.defects_out, "w", encoding="utf-8", newline="") as f:
            f.write("record,line,kind,column,value\n")
            for record, first_line, kind, column, value in manifest:
                f.write("%d,%d,%s,%s,%s\n" % (record, first_line, kind, column, value))
    os.replace(args.out + ".part", args.out)
    elapsed = time.monotonic() - started
    print("generated %s: %d rows in %.1f s, %d defective (%.2f%%):" % (
        args.out, args.rows, elapsed, len(manifest), 100 * len(manifest) / args.rows), file=sys.stderr)
    for kind, column in DEFECT_KINDS:
        print("  %-16s %-6s %d" % (kind, column, counts[kind]), file=sys.stderr)


if __name__ == "__main__":
    main()
