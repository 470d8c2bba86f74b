"""Made-up names and phone numbers for demo staff. Not real people."""

from __future__ import annotations

import numpy as np

SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
)
GIVEN = list("明华建国玉兰秀英志强海燕文静红梅德福永红丽娟春生金花宏伟淑珍晓东国庆立新")


def names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` plausible two- or three-character Chinese names."""
    out = []
    for _ in range(n):
        k = 1 if rng.random() < 0.3 else 2
        out.append(rng.choice(SURNAMES) + "".join(rng.choice(GIVEN, size=k)))
    return out


def phones(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` mobile numbers in the reserved-looking demo range 170-0972-xxxx."""
    return [f"1700972{int(x):04d}" for x in rng.integers(0, 10000, size=n)]
