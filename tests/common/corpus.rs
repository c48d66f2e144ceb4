//! Deterministic Chinese training-knowledge-base pages for the search tests.
//!
//! The text mixes a domain vocabulary (drawn with a skewed, Zipf-like frequency), function words,
//! long-tail words built from common characters, rare ideographs, numbers, dates, document numbers
//! (`国办发〔2021〕16号`), Latin abbreviations and full-width forms, so that bigram statistics and
//! index sizes resemble a real corpus (somewhat pessimistically: random long-tail words give more
//! distinct bigrams than real prose).

use shuyuan::search::{SearchDoc, SearchSection};

/// SplitMix64: tiny, seedable, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Skewed towards small indices in `0..n` (frequent words first).
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64) * u * u * u) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const DOMAIN: &[&str] = &[
    "社区",
    "治理",
    "基层",
    "党组织",
    "居民",
    "业主",
    "物业",
    "物业公司",
    "业委会",
    "居委会",
    "村委会",
    "网格员",
    "志愿者",
    "服务",
    "工作",
    "管理",
    "资源",
    "下沉",
    "协商",
    "民主",
    "议事",
    "协调",
    "矛盾",
    "纠纷",
    "调解",
    "政策",
    "规定",
    "办法",
    "通知",
    "意见",
    "条例",
    "实施",
    "落实",
    "推进",
    "加强",
    "完善",
    "建立",
    "健全",
    "机制",
    "制度",
    "责任",
    "考核",
    "监督",
    "检查",
    "培训",
    "学习",
    "案例",
    "经验",
    "做法",
    "成效",
    "问题",
    "困难",
    "需求",
    "群众",
    "老年人",
    "儿童",
    "残疾人",
    "加装电梯",
    "老旧小区",
    "改造",
    "垃圾分类",
    "停车",
    "安全",
    "消防",
    "应急",
    "防汛",
    "疫情",
    "防控",
    "核酸",
    "人口",
    "登记",
    "信息",
    "平台",
    "数据",
    "系统",
    "智慧",
    "数字化",
    "街道",
    "乡镇",
    "区县",
    "市级",
    "省级",
    "部门",
    "单位",
    "企业",
    "社会组织",
    "专业",
    "社工",
    "项目",
    "资金",
    "预算",
    "补贴",
    "经费",
    "合同",
    "招标",
    "中标",
    "采购",
    "签订",
    "履行",
    "违约",
    "赔偿",
    "公示",
    "公开",
    "透明",
    "听证",
    "投票",
    "选举",
    "换届",
    "代表",
    "会议",
    "决议",
    "表决",
    "三重一大",
    "两委",
    "河长制",
    "共建共治共享",
    "邻里互助",
    "枫桥经验",
    "党建引领",
    "民生",
    "养老",
    "托育",
    "医疗",
    "教育",
    "就业",
    "住房",
    "保障",
    "救助",
    "低保",
    "优抚",
    "慰问",
    "走访",
    "入户",
    "摸排",
    "台账",
    "档案",
    "记录",
    "报告",
    "总结",
    "评估",
    "整改",
    "反馈",
    "宣传",
    "动员",
    "参与",
    "积极性",
    "满意度",
    "获得感",
    "幸福感",
    "安全感",
    "法治",
    "德治",
    "自治",
    "网格化",
    "精细化",
    "标准化",
    "规范化",
    "流程",
    "环节",
    "步骤",
    "要求",
    "标准",
];

const FUNCTION: &[&str] = &[
    "的",
    "了",
    "和",
    "与",
    "在",
    "是",
    "对",
    "为",
    "由",
    "将",
    "把",
    "被",
    "从",
    "向",
    "按照",
    "根据",
    "通过",
    "进行",
    "开展",
    "做好",
    "应当",
    "可以",
    "不得",
    "必须",
    "需要",
    "及时",
    "有效",
    "进一步",
    "全面",
    "各类",
    "相关",
    "有关",
    "其他",
    "以及",
    "或者",
    "并且",
    "同时",
    "因此",
    "如果",
    "以后",
    "还要",
    "每位",
    "所有",
    "一些",
    "这个",
    "那些",
    "我们",
    "他们",
    "自己",
];

const LATIN: &[&str] = &[
    "PPP",
    "APP",
    "GB50016",
    "COVID-19",
    "GIS",
    "OA",
    "WiFi",
    "PDF",
    "Excel",
    "5G",
    "ISO9001",
    "ＡＰＰ",
    "ＰＰＰ",
    "２０２３",
    "GB/T 50001",
];

const ISSUERS: &[&str] = &["国办发", "民发", "建城", "京政办发", "沪府规", "粤民规字"];

const SUFFIX: &[&str] = &[
    "工作指引",
    "典型案例",
    "实施办法",
    "操作规程",
    "管理规定",
    "工作方案",
    "经验做法",
    "问答",
];

const NUMERALS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Common characters for long-tail words.
const COMMON: &str = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同\
工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量\
都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线\
内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直\
题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手\
角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压\
志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每\
目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫\
且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便\
团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专\
状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞";

/// Generates `pages` pages whose section texts add up to `chars` characters each (roughly).
pub fn pages(seed: u64, pages: usize, chars: std::ops::Range<usize>) -> Vec<SearchDoc> {
    let mut rng = Rng::new(seed);
    let common: Vec<char> = COMMON.chars().collect();
    // Long-tail vocabulary: 4,000 two-to-four-character words of common characters.
    let tail: Vec<String> = (0..4000)
        .map(|_| {
            let n = 2 + rng.below(3);
            (0..n).map(|_| common[rng.skewed(common.len())]).collect()
        })
        .collect();
    let kinds = [
        ("case", "案例"),
        ("guide", "操作指南"),
        ("policy", "政策摘编"),
    ];
    let regions = ["北京市", "上海市", "广东省", "浙江省", "四川省", "湖北省"];
    let statuses = ["现行有效", "已修订", "已废止"];
    (0..pages)
        .map(|i| {
            let (kind, kind_label) = kinds[rng.below(kinds.len())];
            let mut title = String::new();
            for _ in 0..1 + rng.below(3) {
                title.push_str(DOMAIN[rng.skewed(DOMAIN.len())]);
            }
            title.push_str(rng.pick(SUFFIX));
            let target = chars.start + rng.below(chars.end - chars.start);
            let mut sections = Vec::new();
            let mut total = 0;
            let mut s = 0;
            while total < target {
                let heading = if s == 0 {
                    String::new()
                } else {
                    format!(
                        "第{}条 {}",
                        NUMERALS[(s - 1) % 10],
                        DOMAIN[rng.below(DOMAIN.len())]
                    )
                };
                let len = (target - total).min(200 + rng.below(600));
                let text = sentence_run(&mut rng, &tail, len);
                total += text.chars().count();
                sections.push(SearchSection {
                    anchor: heading.replace(' ', "-"),
                    heading,
                    text,
                });
                s += 1;
            }
            let year = 2015 + rng.below(10);
            SearchDoc {
                url: format!("{kind}s/p{i:05}.html"),
                title,
                kind: kind.into(),
                kind_label: kind_label.into(),
                date: Some(format!(
                    "{year}-{:02}-{:02}",
                    1 + rng.below(12),
                    1 + rng.below(28)
                )),
                breadcrumbs: vec![kind_label.into()],
                tags: (0..rng.below(4))
                    .map(|_| DOMAIN[rng.skewed(40)].to_string())
                    .collect(),
                topics: vec![DOMAIN[rng.below(20)].to_string()],
                region: Some(regions[rng.below(regions.len())].into()),
                status: (kind == "policy").then(|| statuses[rng.below(3)].into()),
                sections,
            }
        })
        .collect()
}

/// About `len` characters of sentences.
fn sentence_run(rng: &mut Rng, tail: &[String], len: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    while n < len {
        let piece: String = match rng.below(100) {
            0..=39 => DOMAIN[rng.skewed(DOMAIN.len())].into(),
            40..=69 => FUNCTION[rng.skewed(FUNCTION.len())].into(),
            70..=87 => tail[rng.skewed(tail.len())].clone(),
            88 => char::from_u32(0x4E00 + rng.below(0x51A5) as u32)
                .map(String::from)
                .unwrap_or_default(),
            89..=90 => format!("{}年", 2000 + rng.below(26)),
            91 => format!(
                "{}〔{}〕{}号",
                rng.pick(ISSUERS),
                2010 + rng.below(16),
                1 + rng.below(120)
            ),
            92 => rng.pick(LATIN).into(),
            93 => format!("{}", rng.below(1000)),
            94..=96 => "，".into(),
            97 => "；".into(),
            98 => "、".into(),
            _ => "。".into(),
        };
        n += piece.chars().count();
        out.push_str(&piece);
    }
    out.push('。');
    out
}
