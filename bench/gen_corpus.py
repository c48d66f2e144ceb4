#!/usr/bin/env python3
"""Generates a deterministic Chinese knowledge base for benchmarks.

    python3 bench/gen_corpus.py --pages 10000 --out bench/out/site-10000-realistic [--mix realistic|uniform]

`realistic` (the default): a third each of cases, guides and policies. Policies are short
articles (100-400 characters of body), cases and guides medium (2,000-5,000); one page per
thousand is instead a very long policy (50,000-150,000 characters, chapters and articles like
a whole code of law). `uniform`: every page 2,000-4,000 characters (the figure issues quote
for 10,000 pages). Body lengths count the Markdown as written.

Every page has front matter of its kind (case: cites; guide: audience, steps, duration;
policy: issuer, doc_number, issued, status); bodies have headings, tables, ordered and
unordered lists, wiki links and relative .md links to pages that exist. The text draws
domain words with a skewed (Zipf-like) frequency, function words, a long tail of words made
of common characters, occasional rare ideographs, years, numbers, document numbers and Latin
abbreviations, so that the search index has realistic numbers of distinct keys. The first
policy's document number is 东办发〔2021〕16号, so a document-number query has its answer.
Same arguments, same bytes. The site's `corpus.json` records the arguments and a hash of
this script, so that bench/run.py can tell a stale corpus from a current one.
"""

import argparse
import hashlib
import json
import os
import random
import shutil

WORDS = (
    "社区 治理 基层 网格 网格员 居民 业主 物业 物业公司 业委会 居委会 党组织 党支部 党员 志愿者 "
    "志愿服务 积分 下沉 资源 机关 单位 结对 报到 协商 议事 民主 听证 公示 监督 考核 考评 绩效 评价 "
    "街道 区委 市委 办公室 民政局 住建局 文件 通知 意见 办法 条例 规定 细则 方案 台账 清单 事项 责任 "
    "制度 机制 服务 群众 矛盾 纠纷 调解 走访 入户 排查 隐患 安全 消防 电梯 加装电梯 改造 老旧小区 "
    "停车 垃圾分类 环境 卫生 养老 托育 就业 救助 帮扶 困难 家庭 老年人 残疾人 儿童 青少年 楼栋长 "
    "单元长 社工 两委 书记 主任 委员 会议 记录 签字 盖章 报送 审核 备案 归档 信息化 平台 系统 数据 "
    "上报 流转 处置 反馈 闭环 时限 工作日 满意度 测评 通报 整改 共建 共治 共享 联建 联席 联动 协同 "
    "区域化 党建 阵地 活动 项目 经费 保障 培训 学习 合同 招标 中标 采购 签订 履行 违约 维修资金 "
    "物业费 决议 表决 投票 换届 选举 应急 防汛 人口 登记 档案 枫桥经验 党建引领 邻里互助"
).split()
FUNCTION = (
    "的 了 和 与 在 是 对 为 由 将 把 被 从 向 按照 根据 通过 进行 开展 做好 应当 可以 不得 必须 "
    "需要 及时 有效 进一步 全面 各类 相关 有关 其他 以及 或者 同时 因此 如果 以后 还要 每位 所有"
).split()
# Common characters for the long tail of words.
COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子"
    "说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机"
    "当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心"
    "反明看原又利比或但质气第向道命此变条只没结解问意建月公无系很情者最立代想已通并提直题党程展五果"
    "料象员位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别手角期根论运农指"
)
ISSUERS = ["东办发", "东政办发", "民发", "建城", "江办发", "南政规"]
LATIN = ["APP", "PPP", "GIS", "OA", "WiFi", "PDF", "Excel", "5G", "ISO9001", "GB50016", "ＡＰＰ", "２０２３"]
KINDS = [("cases", "case", "案例"), ("guides", "guide", "操作指南"), ("policies", "policy", "政策摘编")]
REGIONS = ["东湖市", "江北区", "南湖区", "清河街道", "柳岸社区", "碧水社区", "锦绣社区", "幸福里社区"]
TOPICS = ["资源下沉", "协商民主", "党建联建", "网格化管理", "志愿服务", "绩效考评", "物业治理", "加装电梯"]
STATUSES = ["现行有效", "现行有效", "现行有效", "已修订", "已废止"]
SEED = 20261127
DIGITS = "零一二三四五六七八九"


def cn(n):
    """1..999 in Chinese numerals (第十二条)."""
    out = ""
    if n >= 100:
        out += DIGITS[n // 100] + "百"
        n %= 100
        if 0 < n < 10:
            out += "零"
    if n >= 10:
        out += ("" if n < 20 and not out else DIGITS[n // 10]) + "十"
        n %= 10
    return out + (DIGITS[n] if n else "")


def skewed(rng, items):
    """Frequent items first: index ~ len * u^3."""
    return items[int(len(items) * rng.random() ** 3)]


def word(rng, tail):
    roll = rng.random()
    if roll < 0.40:
        return skewed(rng, WORDS)
    if roll < 0.68:
        return skewed(rng, FUNCTION)
    if roll < 0.90:
        return skewed(rng, tail)
    if roll < 0.91:
        return chr(0x4E00 + rng.randrange(0x51A6))
    if roll < 0.94:
        return f"{rng.randint(2000, 2026)}年"
    if roll < 0.95:
        return f"{rng.choice(ISSUERS)}〔{rng.randint(2010, 2026)}〕{rng.randint(1, 120)}号"
    if roll < 0.97:
        return rng.choice(LATIN)
    return str(rng.randint(1, 999))


def sentence(rng, tail):
    clauses = ["".join(word(rng, tail) for _ in range(rng.randint(3, 8))) for _ in range(rng.randint(1, 4))]
    return "".join(c + rng.choice("，，，、；") for c in clauses[:-1]) + clauses[-1] + "。"


def paragraph(rng, tail, chars):
    out = ""
    while len(out) < chars:
        out += sentence(rng, tail)
    return out


class Body:
    """Markdown blocks that stop once `target` characters are written."""

    def __init__(self, target):
        self.blocks, self.target = [], target

    def left(self):
        return self.target - sum(len(b) + 1 for b in self.blocks)

    def add(self, block):
        self.blocks.append(block)

    def text(self):
        return "\n".join(self.blocks)


def body(rng, tail, target, slugs, index, kind, long):
    out = Body(target)
    article = 0
    while out.left() > 0:
        if long:
            # A code of law: chapters of articles.
            if article % 8 == 0:
                out.add(f"## 第{cn(article // 8 + 1)}章 {rng.choice(WORDS)}{rng.choice(WORDS)}\n")
            out.add(f"### 第{cn(article + 1)}条\n")
        elif kind == "policy":
            out.add(f"## 第{cn(article + 1)}条 {rng.choice(WORDS)}{rng.choice(WORDS)}\n")
        else:
            out.add(f"## {cn(article + 1)}、{rng.choice(WORDS)}{rng.choice(WORDS)}\n")
        article += 1
        for _ in range(rng.randint(1, 3)):
            if out.left() <= 0:
                break
            p = paragraph(rng, tail, min(rng.randint(120, 400), out.left()))
            if rng.random() < 0.3:
                other = rng.choice(slugs)
                if other != slugs[index]:
                    p += f"参见[[{other}]]。" if rng.random() < 0.7 else f"参见[[{other}|相关材料]]。"
            out.add(p + "\n")
        if out.left() < 150:
            continue
        roll = rng.random()
        if roll < 0.15:
            rows = "\n".join(
                f"| {rng.choice(WORDS)} | {rng.randint(1, 30)}个工作日 | {rng.choice(WORDS)}{rng.choice(WORDS)} |"
                for _ in range(rng.randint(2, 5)))
            out.add(f"| 事项 | 时限 | 责任 |\n| --- | --- | --- |\n{rows}\n")
        elif roll < 0.27:
            out.add("\n".join(f"{i + 1}. {sentence(rng, tail)}" for i in range(rng.randint(2, 5))) + "\n")
        elif roll < 0.37:
            out.add("\n".join(f"- {sentence(rng, tail)}" for _ in range(rng.randint(2, 5))) + "\n")
    return out.text()


def stamp(pages, mix, seed):
    """What `corpus.json` holds for a corpus made now with these arguments."""
    with open(os.path.abspath(__file__), "rb") as f:
        script = hashlib.sha256(f.read()).hexdigest()
    return {"pages": pages, "mix": mix, "seed": seed, "generator": script}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mix", choices=["uniform", "realistic"], default="realistic")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tail = ["".join(skewed(rng, COMMON) for _ in range(rng.randint(2, 4))) for _ in range(4000)]

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "content"))
    shutil.copytree(os.path.join(repo, "themes"), os.path.join(args.out, "themes"))
    with open(os.path.join(args.out, "site.toml"), "w", encoding="utf-8") as f:
        f.write('title = "基准测试知识库"\n')

    per_section = 500
    plan = []
    for i in range(args.pages):
        folder, kind, _ = KINDS[i % 3]
        plan.append((f"{kind}-{i:06d}", folder, kind, f"{folder}/part-{i // (3 * per_section):03d}"))
    slugs = [p[0] for p in plan]
    policies = [p[0] for p in plan if p[2] == "policy"]

    sections = set()
    for i, (slug, folder, kind, section) in enumerate(plan):
        # The one policy among the last three pages of each thousand.
        long = args.mix == "realistic" and kind == "policy" and i % 1000 >= 997
        if long:
            target = rng.randint(50000, 150000)
        elif args.mix == "uniform":
            target = rng.randint(2000, 4000)
        elif kind == "policy":
            target = rng.randint(100, 400)
        else:
            target = rng.randint(2000, 5000)
        for level in (folder, section):
            if level not in sections:
                sections.add(level)
                label = next(k[2] for k in KINDS if k[0] == folder)
                title = label if level == folder else f"{label}（第{len(sections)}组）"
                path = os.path.join(args.out, "content", level, "_index.md")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(f"---\ntitle: {title}\nkind: {kind}\nsort_by: date\npaginate: 50\n---\n\n"
                            f"{paragraph(rng, tail, 80)}\n")
        year = rng.randint(2015, 2026)
        number = rng.randint(1, 99)
        if i == 2:
            year, number = 2021, 16
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        genre = "条例" if long else rng.choice(["实施意见", "工作办法", "典型做法", "操作要点", "通知"])
        title = f"{rng.choice(REGIONS)}关于{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(WORDS)}的{genre}（{i}）"
        fm = [f"title: {title}", f"date: {date}", f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]",
              f"topics: [{rng.choice(TOPICS)}]", f"region: {rng.choice(REGIONS)}"]
        if kind == "policy":
            fm += ["issuer: 东湖市委办公室", f"doc_number: 东办发〔{year}〕{number}号",
                   f"issued: {date}", f"status: {rng.choice(STATUSES)}"]
        elif kind == "case" and policies:
            fm.append(f"cites: [{rng.choice(policies)}, {rng.choice(policies)}]")
        else:
            fm += ["audience: [网格员, 社区书记]", f"steps: {rng.randint(3, 9)}", 'duration: "2 课时"']
        text = body(rng, tail, target, slugs, i, kind, long)
        if i > 0:
            prev_slug, _, _, prev_section = plan[i - 1]
            rel = os.path.relpath(os.path.join(prev_section, prev_slug + ".md"), section)
            text += f"\n上一篇：[上一篇]({rel})\n"
        path = os.path.join(args.out, "content", section, slug + ".md")
        with open(path, "w", encoding="utf-8") as f:
            f.write("---\n" + "\n".join(fm) + "\n---\n\n" + text)
    with open(os.path.join(args.out, "corpus.json"), "w", encoding="utf-8") as f:
        json.dump(stamp(args.pages, args.mix, args.seed), f)
    print(f"wrote {args.pages} pages to {args.out}")


if __name__ == "__main__":
    main()
