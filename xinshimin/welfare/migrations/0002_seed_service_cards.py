"""The eight cards of the inclusive services directory (普惠服务) [GUIDE; spec §5 "Inclusive services"].

The centre edits them in the admin afterwards; this only creates a card whose category has none yet.
"""

from django.db import migrations

CARDS = [
    (
        "survey",
        10,
        "新市民需求调查",
        "市新居民服务中心不定期开展问卷调查，了解新市民在住房、子女入学、就业、医疗等方面的需求。"
        "问卷匿名填写，约 5 分钟，结果用于改进服务。",
        "",
        "",
    ),
    (
        "job_map",
        20,
        "就业地图",
        "汇集瑞安各乡镇街道企业的招聘岗位，可按镇街、行业、薪资筛选，在线投递简历或到人力资源市场现场面试。"
        "在“浙里办”搜索“就业地图”即可使用。",
        "https://www.zjzwfw.gov.cn/",
        "打开浙里办",
    ),
    (
        "skills",
        30,
        "技能培训",
        "人力社保部门组织电工、焊工、育婴员、电子商务等职业技能培训，符合条件的可享受培训补贴；"
        "取得的职业资格或技能等级证书可计入积分“职业技能”指标。",
        "",
        "",
    ),
    (
        "social_insurance",
        40,
        "社会保险",
        "查询本人在浙江的社保缴费记录，办理参保登记和关系转移接续。在瑞参加社会保险的时间计入积分。"
        "咨询电话 12333。",
        "https://www.zjzwfw.gov.cn/",
        "浙江政务服务网",
    ),
    (
        "hospital",
        50,
        "预约挂号",
        "瑞安市各公立医院门诊可在“浙里办”预约挂号，就诊时出示医保电子凭证或身份证即可，不必排队取号。",
        "https://www.zjzwfw.gov.cn/",
        "去预约",
    ),
    (
        "labour_rights",
        60,
        "劳动维权",
        "遇到拖欠工资、未签劳动合同、工伤认定等问题，可向劳动保障监察部门投诉，或拨打 12345、12333 热线；"
        "法律援助中心为困难群众提供免费法律咨询和代理。",
        "",
        "",
    ),
    (
        "library",
        70,
        "图书借阅",
        "凭身份证或居住证可在瑞安市图书馆及乡镇街道分馆免费办理借阅证，借阅图书、参加公益讲座和亲子阅读活动。",
        "",
        "",
    ),
    (
        "charity",
        80,
        "爱心基金",
        "新居民因病、因灾等陷入困难，可申请新居民爱心基金救助。基金办公室指派 2 人以上核实，一般 10 个工作日内批复，"
        "急事急办。咨询：0577-66887305（瑞安时代大厦 A 幢 802 室）。",
        "",
        "",
    ),
]


def seed(apps, schema_editor):
    ServiceCard = apps.get_model("welfare", "ServiceCard")
    for category, order, title, summary, link, link_label in CARDS:
        if not ServiceCard.objects.filter(category=category).exists():
            ServiceCard.objects.create(
                category=category,
                order=order,
                title=title,
                summary=summary,
                link=link,
                link_label=link_label,
                is_active=True,
            )


def unseed(apps, schema_editor):
    ServiceCard = apps.get_model("welfare", "ServiceCard")
    ServiceCard.objects.filter(category__in=[row[0] for row in CARDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("welfare", "0001_offers_redemptions_certificates_service_cards")]

    operations = [migrations.RunPython(seed, unseed)]
