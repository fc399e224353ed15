"""Synthetic Japanese board text: titles and post bodies from municipal words.

Not real prose, but built the way posts on the board read: greetings,
announcements of events, requests to hand out pamphlets, disaster support,
with place names from the real registry, dates, numbers and Markdown lists.
The word frequencies are artificial; what matters for the benchmarks is that
common words (防災, 観光) are in a large share of posts, compounds
(観光物産展) in a smaller one, and that the rare words below appear only
where bench.seed plants them.
"""

# Nouns of the project's everyday business. Words that contain a rare word
# below (鯖江眼鏡祭, 氷見寒ぶり) or its bigrams must not be added here.
TOPICS = """
観光 防災 物産展 移住 子育て支援 能登 連携協定 広報誌 パンフレット 避難所
防災訓練 ふるさと納税 特産品 地域おこし協力隊 空き家バンク 花火大会
給水 災害支援 職員派遣 姉妹都市 交流事業 アンテナショップ マルシェ 商店街
農産物 移住相談会 就農 二地域居住 関係人口 体験ツアー 修学旅行 林間学校
自然体験 伝統工芸 地酒 海産物 温泉 雪まつり 紅葉 道の駅 観光案内所 物産販売
出展 ブース 広報 周知 チラシ ポスター 動画 SNS ホームページ 予算 補助金
事業計画 報告書 来場者 アンケート 復興 震災 豪雨 地震 被災地 義援金 支援物資
ボランティア 応援職員 防災協定 備蓄 相互応援 健康づくり 高齢者 若者 学生
保育 教育 スポーツ マラソン大会 文化 芸術祭 音楽祭 食育 給食 地産地消 森林
木材 カーボンニュートラル 環境 再生可能エネルギー 脱炭素 DX オンライン 説明会
研修 視察 意見交換会 シティプロモーション ワーケーション 企業版ふるさと納税
観光列車 サイクリング 棚田 里山 漁業体験 農業体験 郷土料理 祭り 盆踊り
区民まつり 産業フェア 子ども食堂 図書館 博物館 美術館 公民館 コミュニティ
"""

EVENTS = """
観光物産展 区民まつり 産業フェア ふるさとフェア 移住相談会 物産マルシェ
防災フェア 交流会 説明会 意見交換会 合同説明会 体験ツアー 花火大会
収穫祭 雪まつり 食のフェスタ 地方創生フォーラム スポーツ大会
"""

PLACES = """
区役所本庁舎 区民ホール 区民センター 地域交流センター 中央公園 駅前広場
東京区政会館 商店街 アンテナショップ 公民館 体育館 文化会館 市役所 町役場
"""

DEPARTMENTS = """
観光交流課 企画調整課 地域振興課 総務課 防災課 危機管理課 商工観光課
秘書広報課 広報課 移住定住推進課 農林水産課 子育て支援課 文化スポーツ課
まちづくり推進課 政策推進課 産業振興課 ふるさと納税推進室 シティプロモーション課
"""

SURNAMES = """
佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本
井上 木村 林 斎藤 清水 山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田
岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 斉藤 福田 太田 西村 藤井 金子
"""

GIVEN_NAMES = """
太郎 次郎 花子 一郎 健太 翔太 大輔 直樹 美咲 陽子 恵子 裕子 拓也 和也 聡
真由美 明美 智子 由美 達也 亮 誠 愛 彩 優子 恵 学 修 浩二 久美子 沙織 舞
"""

MAGAZINES = """
まちの話題 ふるさと通信 市報 町報 区報 広報だより みんなのまち
"""

TOPICS, EVENTS, PLACES, DEPARTMENTS = (
    words.split() for words in (TOPICS, EVENTS, PLACES, DEPARTMENTS)
)
SURNAMES, GIVEN_NAMES, MAGAZINES = (
    words.split() for words in (SURNAMES, GIVEN_NAMES, MAGAZINES)
)

# Found only in the posts bench.seed plants them in: (word, how many posts).
RARE_WORDS = [("鯖江眼鏡祭", 3), ("氷見寒ぶり", 30)]

OPENINGS = [
    "お世話になっております。",
    "いつもお世話になっております。",
    "各自治体ご担当者様",
    "ご担当者様各位",
    "こんにちは。",
    "お疲れ様です。",
]

CLOSINGS = [
    "よろしくお願いいたします。",
    "ご検討のほどよろしくお願いいたします。",
    "ご不明な点は{dept}までお問い合わせください。",
    "ご協力をお願いいたします。",
    "皆様のご参加をお待ちしております。",
    "詳しくは添付のPDFをご覧ください。",
    "引き続きよろしくお願いいたします。",
]

# Slots: {topic} {topic2} {event} {place} {muni} {ward} {dept} {date} {n}
# {year} (of Reiwa).
SENTENCES = [
    "{muni}の{dept}です。",
    "{date}に{place}で{event}を開催します。",
    "{event}への出展自治体を募集しています。",
    "{topic}について情報提供をお願いします。",
    "{muni}では{topic}と{topic2}に力を入れています。",
    "{topic}に関する{topic2}の資料を共有します。",
    "{ward}の{event}に参加させていただきました。",
    "{topic}のパンフレットを{n}部お送りします。",
    "{place}に{topic}のチラシを置いていただけないでしょうか。",
    "{topic}の取り組みについて意見交換できればと思います。",
    "当日は{n}名の方にご来場いただきました。",
    "{muni}との{topic}に関する連携協定を締結しました。",
    "{date}までに{dept}へお申し込みください。",
    "{topic}の担当者を{n}名派遣する予定です。",
    "能登半島地震の被災地への{topic}について報告します。",
    "避難所の運営と{topic}の備蓄について知見を共有します。",
    "{topic}の実施にあたり{topic2}の事例を教えてください。",
    "広報誌の{date}号で{muni}の{topic}を紹介しました。",
    "{ward}のアンテナショップで{topic}の販売を行います。",
    "子育て支援と移住の{topic}を紹介する動画を公開しました。",
    "観光と{topic}を組み合わせた{event}を企画しています。",
    "{topic}は{n}件の応募がありました。",
    "令和{year}年度の{topic}事業の実績をまとめました。",
    "{muni}の{topic}は{date}から始まります。",
    "ブースの数には限りがありますので早めにご連絡ください。",
]

DETAILS = "\n\n- 日時：{date}\n- 場所：{place}\n- 申込締切：{date2}"

TITLES = [
    "{event}への出展自治体募集",
    "{event}の開催について（令和{year}年度）",
    "{muni}の{topic}パンフレット配布のお願い",
    "広報誌「{magazine}」{month}月号のご紹介",
    "{topic}に関する連携のご提案",
    "【{pref}】{topic}のお知らせ",
    "{topic}について情報交換しませんか",
    "{ward}{event}への参加申込について",
    "{muni}{topic}体験ツアー参加者募集",
    "令和{year}年度 {topic}事業の報告",
    "{topic}と{topic2}の取り組み事例",
    "{muni}から{topic}のご案内",
]

ATTACHMENT_NAMES = [
    "{topic}のご案内.pdf",
    "{event}出展要項.pdf",
    "{muni}{topic}パンフレット.pdf",
    "{topic}実施報告書.pdf",
    "広報誌{month}月号.pdf",
]


class TextMaker:
    """Makes titles and bodies; names are those of real organisations.

    rng: a random.Random; municipalities: names such as 七尾市 or 石川県七尾市;
    wards: the 23 ward names; prefectures: prefecture names.
    """

    def __init__(self, rng, *, municipalities, wards, prefectures):
        self.rng = rng
        self.municipalities = municipalities or ["七尾市"]
        self.wards = wards or ["千代田区"]
        self.prefectures = prefectures or ["石川県"]

    def _slots(self):
        rng = self.rng
        month = rng.randint(1, 12)
        return {
            "topic": rng.choice(TOPICS),
            "topic2": rng.choice(TOPICS),
            "event": rng.choice(EVENTS),
            "place": rng.choice(PLACES),
            "muni": rng.choice(self.municipalities),
            "ward": rng.choice(self.wards),
            "pref": rng.choice(self.prefectures),
            "dept": rng.choice(DEPARTMENTS),
            "date": f"{month}月{rng.randint(1, 28)}日",
            "date2": f"{month % 12 + 1}月{rng.randint(1, 28)}日",
            "month": month,
            "year": rng.randint(1, 8),
            "magazine": rng.choice(MAGAZINES),
            "n": rng.choice([2, 3, 5, 6, 7, 10, 20, 30, 50, 100, 200, 500]),
        }

    def title(self):
        return self.rng.choice(TITLES).format(**self._slots())[:120]

    def person(self):
        return f"{self.rng.choice(SURNAMES)} {self.rng.choice(GIVEN_NAMES)}"

    def attachment_name(self):
        return self.rng.choice(ATTACHMENT_NAMES).format(**self._slots())

    def sentence(self):
        return self.rng.choice(SENTENCES).format(**self._slots())

    def body(self, minimum=100, maximum=400):
        """Paragraphs of sentences, minimum to maximum characters long."""
        rng = self.rng
        target = rng.randint(minimum, maximum)
        paragraphs = [rng.choice(OPENINGS) + self.sentence()]
        length = len(paragraphs[0])
        while length < target:
            paragraph = "".join(self.sentence() for _ in range(rng.randint(1, 3)))
            if length + len(paragraph) > maximum:
                paragraph = self.sentence()
                if length + len(paragraph) > maximum:
                    break
            paragraphs.append(paragraph)
            length += len(paragraph) + 2
        body = "\n\n".join(paragraphs)
        # Some posts carry a Markdown list of the practical details.
        details = DETAILS.format(**self._slots())
        if rng.random() < 0.2 and len(body) + len(details) <= maximum:
            body += details
        closing = rng.choice(CLOSINGS).format(**self._slots())
        if len(body) + len(closing) + 2 <= maximum:
            body += "\n\n" + closing
        return body
