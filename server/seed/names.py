"""Word lists and small makers for the demo county: names, places, phones, ID numbers.

Everything takes the caller's ``random.Random`` so the demo is the same for a given seed.
The lists lean on how rural north-central China is named: a few large surnames per village,
given names that follow the era of birth, villages named after a clan or a landmark.
"""

from __future__ import annotations

import random
from datetime import date, timedelta


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The 60 commonest surnames, most frequent first; weights fall off like the real distribution.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
)
SURNAME_WEIGHTS = tuple(1.0 / (1 + i * 0.15) for i in range(len(SURNAMES)))

# Given names by era of birth: (born before 1965, 1965-1989, 1990 on) x (male, female).
_GIVEN_OLD_M = _words(
    "建国 建华 国强 德明 长顺 振华 志刚 永福 保国 文革 卫东 金山 来福 满仓 铁柱 "
    "国庆 学文 玉林 春生 秋生 德胜 发财 宝山 洪亮 富贵 跃进 解放 红军 树林 全福"
)
_GIVEN_OLD_F = _words(
    "秀英 桂兰 玉兰 桂英 秀兰 凤英 淑珍 玉珍 翠花 春花 秀珍 桂芳 玉梅 素珍 淑英 "
    "兰英 凤兰 金凤 秀云 桂花 月英 银花 爱莲 菊香 巧云 素梅 改花 荷花 彩霞 英子"
)
_GIVEN_MID_M = _words(
    "伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 建军 志强 海波 小军 "
    "红伟 振宇 国华 永强 晓东 建伟 文斌 俊峰 卫国 长江 海涛 东升 新民 立新 宏伟"
)
_GIVEN_MID_F = _words(
    "丽 静 敏 艳 娟 霞 芳 燕 玲 红 丽娟 晓燕 海燕 秀丽 春燕 艳玲 红梅 丽萍 "
    "小红 雪梅 桂香 晓丽 美玲 丽华 彩云 翠萍 玉洁 慧敏 亚楠 新华 秋菊 红霞"
)
_GIVEN_NEW_M = _words(
    "浩然 子涵 梓轩 宇轩 俊杰 浩宇 子豪 一鸣 博文 天佑 家豪 思远 明轩 晨阳 "
    "皓轩 嘉懿 煜城 懿轩 烨伟 苑博 鹏涛 炎彬 鹤轩 越彬 风华 靖琪 明辉 伟诚 泽宇 昊天"
)
_GIVEN_NEW_F = _words(
    "欣怡 子涵 思雨 梓涵 雨涵 诗涵 可馨 佳怡 语嫣 梦瑶 雨欣 紫涵 若曦 一诺 "
    "欣妍 思琪 佳琪 雅静 梦洁 雅琪 梓萱 晨曦 芷若 心怡 婧琪 紫萱 雨桐 梦琪 悦然 诗雨"
)

TOWN_NAMES = _words(
    "城关镇 青石镇 柳河镇 白沙镇 黄桥镇 马店镇 双河镇 龙泉镇 古城镇 清水镇 "
    "石门镇 杨集镇 高庙镇 新店镇 刘庄镇 太平镇 三里桥镇 桃花镇"
)
_VILLAGE_PLACES = _words("东 西 南 北 前 后 上 下 大 小 新 老 柳树 杨树 枣林 石桥 河湾 高岗")
_VILLAGE_SUFFIXES = _words("庄 营 楼 集 寨 湾 岗 店 桥 沟 坡 屯 堡 河 台 洼 园 家庄")
GRID_ORDINALS = ("第一网格", "第二网格", "第三网格", "第四网格", "第五网格", "第六网格")
ROADS = _words(
    "人民路 建设路 解放路 文化路 中山路 和平路 胜利路 新华路 友谊路 健康路 "
    "幸福路 工业路 团结路 振兴路 光明路 滨河路"
)
PHARMACY_BRANDS = ("仁和大药房", "百姓大药房", "康泰药店", "同仁堂药店", "惠民大药房", "益丰药房")

RELATIONS = ("户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹")
LOW_RISK_ORIGINS = _words(
    "广东省广州市 广东省深圳市 广东省东莞市 浙江省杭州市 浙江省宁波市 江苏省苏州市 "
    "上海市 北京市 河南省郑州市 湖北省武汉市 福建省厦门市 天津市 山东省青岛市 陕西省西安市"
)
MID_HIGH_ORIGINS = (
    "河北省石家庄市藁城区",
    "河北省邢台市南宫市",
    "黑龙江省哈尔滨市呼兰区",
    "黑龙江省绥化市望奎县",
    "吉林省长春市公主岭市",
    "北京市大兴区天宫院街道",
)
#: the same places picked as the app picks them (province, city, district): the demo's
#: risk_areas list each of them
MID_HIGH_AREAS = (
    ("河北省", "石家庄市", "藁城区"),
    ("河北省", "邢台市", "南宫市"),
    ("黑龙江省", "哈尔滨市", "呼兰区"),
    ("黑龙江省", "绥化市", "望奎县"),
    ("吉林省", "长春市", "公主岭市"),
    ("北京市", "北京市", "大兴区"),
)
#: a place that was on the list and came off it before any demo arrival
PAST_RISK_AREA = ("辽宁省", "大连市", "金州区")


def split_origin(text: str) -> tuple[str, str, str]:
    """ "广东省广州市" -> ("广东省", "广州市", ""); a municipality is its own city."""
    if "省" in text:
        province, rest = text.split("省", 1)
        return province + "省", rest, ""
    return text, text, ""


ABROAD_ORIGINS = ("日本", "韩国", "马来西亚", "新加坡", "意大利", "阿联酋", "俄罗斯", "美国")

SYMPTOMS = ("fever", "cough", "sore_throat", "fatigue", "headache", "diarrhoea")

# GB 11643: weights of the first 17 digits and the check character for each remainder.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE_PREFIXES = _words(
    "130 131 132 135 136 137 139 150 151 152 155 157 158 159 166 176 177 180 182 186 187"
)


def surname(rng: random.Random) -> str:
    return rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    if birth_year < 1965:
        pool = _GIVEN_OLD_M if sex == "male" else _GIVEN_OLD_F
    elif birth_year < 1990:
        pool = _GIVEN_MID_M if sex == "male" else _GIVEN_MID_F
    else:
        pool = _GIVEN_NEW_M if sex == "male" else _GIVEN_NEW_F
    return rng.choice(pool)


def person_name(rng: random.Random, family: str, sex: str, birth_year: int) -> str:
    return family + given_name(rng, sex, birth_year)


def village_name(rng: random.Random, clan: str) -> str:
    """ "李楼村", "东湾村", "柳树沟村": a clan or a landmark plus a settlement word."""
    head = clan if rng.random() < 0.55 else rng.choice(_VILLAGE_PLACES)
    return head + rng.choice(_VILLAGE_SUFFIXES) + "村"


def mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, area_code: str) -> str:
    return f"{area_code}-{rng.randrange(2_000_000, 9_999_999)}"


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number(
    rng: random.Random, region: str, birth_year: int, sex: str, today: date | None = None
) -> str:
    """A plausible 18-character resident ID: region, birth date, sequence, check digit.

    The 17th digit is odd for men and even for women, as on real cards. A child born this
    year is born by `today` at the latest (the rules refuse a birth date in the future).
    """
    born = date(birth_year, 1, 1) + timedelta(days=rng.randrange(365))
    if today is not None and born > today:
        born = today
    seq = rng.randrange(0, 100) * 10 + rng.choice(
        (1, 3, 5, 7, 9) if sex == "male" else (0, 2, 4, 6, 8)
    )
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)
