#!/usr/bin/env python3
"""Generates a deterministic Chinese knowledge base for benchmarks.

    python3 bench/gen_corpus.py --pages 10000 --out bench/out/site-10k [--mix realistic|uniform]

`uniform`: every page 2,000-4,000 characters (the figure issues quote for 10,000 pages).
`realistic`: many short policy articles (100-400 characters), medium cases and guides
(2,000-5,000), and one very long document (50,000-150,000) per thousand pages.
Pages carry front matter of all three kinds, tables, lists and cross links (wiki links
and relative .md links) to pages that exist. Same arguments, same bytes.
"""

import argparse
import os
import random
import shutil

WORDS = (
    "社区 治理 网格 网格员 居民 业主 物业 业委会 党组织 党支部 党员 志愿者 志愿服务 积分 下沉 资源 "
    "机关 单位 结对 报到 协商 议事 民主 听证 公示 监督 考核 考评 绩效 评价 街道 区委 市委 "
    "办公室 民政局 住建局 文件 通知 意见 办法 条例 规定 细则 方案 台账 清单 事项 责任 制度 机制 "
    "服务 群众 矛盾 纠纷 调解 走访 入户 排查 隐患 安全 消防 电梯 加装 改造 老旧小区 停车 "
    "垃圾分类 环境 卫生 养老 托育 就业 救助 帮扶 困难 家庭 老年人 残疾人 儿童 青少年 "
    "楼栋长 单元长 社工 两委 书记 主任 委员 会议 记录 签字 盖章 报送 审核 备案 归档 "
    "信息化 平台 系统 数据 上报 流转 处置 反馈 闭环 时限 工作日 满意度 测评 通报 整改 "
    "共建 共治 共享 联建 联席 联动 协同 区域化 党建 阵地 活动 项目 经费 保障 培训 学习"
).split()
CONNECT = "应当 要 可以 不得 按照 依据 结合 围绕 通过 推动 加强 完善 落实 建立 健全 规范 提升 深化".split()
PUNCT = ["，", "，", "，", "、", "；"]
KINDS = [("cases", "case", "案例"), ("guides", "guide", "操作指南"), ("policies", "policy", "政策摘编")]
REGIONS = ["东湖市", "江北区", "南湖区", "清河街道", "柳岸社区", "碧水社区", "锦绣社区", "幸福里社区"]
TOPICS = ["资源下沉", "协商民主", "党建联建", "网格化管理", "志愿服务", "绩效考评", "物业治理", "加装电梯"]
STATUSES = ["现行有效", "现行有效", "现行有效", "已修订", "已废止"]


def sentence(rng):
    parts = []
    for _ in range(rng.randint(2, 4)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(2, 5))]
        words.insert(rng.randint(0, len(words)), rng.choice(CONNECT))
        parts.append("".join(words))
    text = "".join(p + rng.choice(PUNCT) for p in parts[:-1]) + parts[-1]
    if rng.random() < 0.15:
        text += f"，时限为{rng.randint(3, 60)}个工作日"
    return text + "。"


def paragraph(rng, chars):
    out = ""
    while len(out) < chars:
        out += sentence(rng)
    return out


def body(rng, target, slugs, index, kind):
    chunks = []
    written = 0
    section = 0
    numerals = "一二三四五六七八九十"
    while written < target:
        heading = f"第{section + 1}条" if kind == "policy" else f"{numerals[section % 10]}、{rng.choice(WORDS)}{rng.choice(WORDS)}"
        chunks.append(f"## {heading} {rng.choice(WORDS)}{rng.choice(WORDS)}\n")
        section += 1
        for _ in range(rng.randint(1, 3)):
            p = paragraph(rng, rng.randint(120, 400))
            if rng.random() < 0.3 and slugs:
                other = rng.choice(slugs)
                if other != slugs[index]:
                    p += f"参见[[{other}]]。"
            chunks.append(p + "\n")
            written += len(p)
        roll = rng.random()
        if roll < 0.15:
            rows = "\n".join(f"| {rng.choice(WORDS)} | {rng.randint(1, 30)}日 | {rng.choice(WORDS)}{rng.choice(WORDS)} |" for _ in range(rng.randint(2, 5)))
            chunks.append(f"| 事项 | 时限 | 责任 |\n| --- | --- | --- |\n{rows}\n")
        elif roll < 0.35:
            items = "\n".join(f"{i + 1}. {sentence(rng)}" for i in range(rng.randint(2, 5)))
            chunks.append(items + "\n")
            written += len(items)
    return "\n".join(chunks)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mix", choices=["uniform", "realistic"], default="uniform")
    ap.add_argument("--seed", type=int, default=20261127)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(os.path.join(args.out, "content"))
    shutil.copytree(os.path.join(repo, "themes"), os.path.join(args.out, "themes"))
    with open(os.path.join(args.out, "site.toml"), "w", encoding="utf-8") as f:
        f.write('title = "基准测试知识库"\n[search]\nindex_dir = ".shuyuan/index"\n')

    per_section = 500
    plan = []
    for i in range(args.pages):
        folder, kind, _ = KINDS[i % 3]
        plan.append((f"{kind}-{i:06d}", folder, kind, f"{folder}/part-{i // (3 * per_section):03d}"))
    slugs = [p[0] for p in plan]
    policies = [p[0] for p in plan if p[2] == "policy"]

    sections = set()
    for i, (slug, folder, kind, section) in enumerate(plan):
        if args.mix == "uniform":
            target = rng.randint(2000, 4000)
        elif kind == "policy":
            target = rng.randint(100, 400)
        else:
            target = rng.randint(2000, 5000)
        if args.mix == "realistic" and i % 1000 == 999:
            target = rng.randint(50000, 150000)
        for level in (folder, section):
            if level not in sections:
                sections.add(level)
                label = next(k[2] for k in KINDS if k[0] == folder)
                title = label if level == folder else f"{label}（第{len(sections)}组）"
                path = os.path.join(args.out, "content", level, "_index.md")
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(f"---\ntitle: {title}\nkind: {kind}\nsort_by: date\npaginate: 50\n---\n\n{paragraph(rng, 80)}\n")
        year = rng.randint(2015, 2026)
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        title = f"{rng.choice(REGIONS)}关于{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(WORDS)}的{rng.choice(['实施意见', '工作办法', '典型做法', '操作要点', '通知'])}（{i}）"
        fm = [f"title: {title}", f"date: {date}", f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]",
              f"topics: [{rng.choice(TOPICS)}]", f"region: {rng.choice(REGIONS)}"]
        if kind == "policy":
            fm += ["issuer: 东湖市委办公室", f"doc_number: 东办发〔{year}〕{rng.randint(1, 99)}号",
                   f"issued: {date}", f"status: {rng.choice(STATUSES)}"]
        elif kind == "case" and policies:
            fm.append(f"cites: [{rng.choice(policies)}, {rng.choice(policies)}]")
        else:
            fm += ["audience: [网格员, 社区书记]", f"steps: {rng.randint(3, 9)}", 'duration: "2 课时"']
        text = body(rng, target, slugs, i, kind)
        if i > 0:
            prev_slug, prev_folder, _, prev_section = plan[i - 1]
            rel = os.path.relpath(os.path.join(prev_section, prev_slug + ".md"), section)
            text += f"\n上一篇：[上一篇]({rel})\n"
        path = os.path.join(args.out, "content", section, slug + ".md")
        with open(path, "w", encoding="utf-8") as f:
            f.write("---\n" + "\n".join(fm) + "\n---\n\n" + text)
    print(f"wrote {args.pages} pages to {args.out}")


if __name__ == "__main__":
    main()
