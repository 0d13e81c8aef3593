# This file is part of the CRM suite.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo knowledge base of crm_knowledge.

The Sales Manager joins the knowledge editors and reviews what the
administrator writes: about twenty articles in English and Chinese in a
small category tree, most published (some twice, so they have two
versions), a few in review or draft, the readers' votes and views, the
articles that answered demo cases, and a document library of contracts,
brochures and manuals with their versions linked to customers,
opportunities and cases.
"""
from trytond.transaction import Transaction

MODULE = 'crm_knowledge'
CATEGORIES = [
    ("Hardware", ["Printers", "Laptops"]),
    ("Software", ["Installation"]),
    ("Billing", ["Refunds"]),
    ("售后服务", ["退换货"]),
    ]
# (category, case category, language, title, body, state)
ARTICLES = [
    ("Printers", "Printer", 'en', "Clear a paper jam",
        "<p>Open the front tray, remove the jammed paper and close the "
        "tray. If the printer still jams, clean the rollers.</p>",
        'published'),
    ("Printers", "Printer", 'en', "Printing is slow over the network",
        "<p>Update the printer driver and print in draft quality.</p>",
        'published'),
    ("Laptops", "Laptop", 'en', "Laptop does not boot",
        "<p>Hold the power button for 30 seconds, then start the recovery "
        "from the boot menu.</p>", 'published'),
    ("Laptops", "Laptop", 'en', "Battery drains fast",
        "<p>Lower the screen brightness and check the battery report.</p>",
        'published'),
    ("Installation", "Installation", 'en', "Installation fails",
        "<p>Run the installer as administrator and disable the antivirus "
        "during the installation.</p>", 'published'),
    ("Installation", "Licence", 'en', "Licence key rejected",
        "<p>Check the licence key for typing errors; a key works on one "
        "seat only.</p>", 'published'),
    ("Refunds", "Refund", 'en', "Refund of a returned item",
        "<p>Once the returned item is checked, the refund is paid by bank "
        "transfer within five days.</p>", 'published'),
    ("Refunds", "Invoice question", 'en', "Read your invoice",
        "<p>Each line shows the order number, the quantity and the "
        "price.</p>", 'published'),
    ("Billing", "Invoice question", 'en', "Missing order number",
        "<p>Send us the invoice number: we issue a corrected invoice.</p>",
        'published'),
    ("Hardware", "Server", 'en', "Server overheats",
        "<p>Clean the fans and keep the room below 25 °C.</p>",
        'published'),
    ("Hardware", "Server", 'en', "Disk failure alarm",
        "<p>Replace the failed disk; the RAID rebuilds by itself.</p>",
        'review'),
    ("Installation", None, 'en', "Update breaks the login",
        "<p>Draft: collect the log files first.</p>", 'draft'),
    ("退换货", "Refund", 'zh_CN', "退款流程",
        "<p>如何办理退款流程：客户寄回商品，检验合格后五个工作日内"
        "退款到原账户。</p>", 'published'),
    ("退换货", "Delivery", 'zh_CN', "商品未送达",
        "<p>请提供快递单号，我们会联系物流公司跟踪包裹。</p>",
        'published'),
    ("退换货", "Delivery", 'zh_CN', "收到错误的商品",
        "<p>请拍照并联系客服，我们会免费更换商品。</p>", 'published'),
    ("售后服务", "Printer", 'zh_CN', "打印机卡纸",
        "<p>打开前盖，取出卡住的纸张，然后清洁滚轮。</p>", 'published'),
    ("售后服务", "Laptop", 'zh_CN', "笔记本电池续航短",
        "<p>降低屏幕亮度，并检查电池健康报告。</p>", 'published'),
    ("售后服务", "Licence", 'zh_CN', "许可证密钥无效",
        "<p>请检查密钥是否输入正确，每个密钥只能用于一个席位。</p>",
        'published'),
    ("Billing", "Invoice question", 'zh_CN', "发票金额不清楚",
        "<p>发票上的每一行显示订单号、数量和单价。</p>", 'review'),
    ("售后服务", None, 'zh_CN', "保修政策",
        "<p>草稿：保修期为两年。</p>", 'draft'),
    ]
# Published a second time, with a revised body
REVISED = {
    "Clear a paper jam": "<p>Open the front tray, remove the jammed paper "
    "and close the tray. Use paper of 80 g/m² at most.</p>",
    "退款流程": "<p>如何办理退款流程：在门户提交退货申请，客户寄回商品，"
    "检验合格后三个工作日内退款到原账户。</p>",
    }
FOLDERS = [("Contracts", []), ("Marketing", ["Brochures"]),
    ("Manuals", [])]
# (folder, name, [(file name, content)], groups)
DOCUMENTS = [
    ("Contracts", "Service agreement", [
            ("service-agreement.txt",
                "Service agreement: support hours 9-18, response in 4 hours."),
            ("service-agreement.txt",
                "Service agreement: support hours 8-20, response in 2 hours, "
                "refund of the fees when missed."),
            ], []),
    ("Brochures", "Product brochure", [
            ("brochure.html",
                "<html><body><h1>Our products</h1><p>Printers, laptops and "
                "servers with a three-year warranty.</p></body></html>"),
            ], []),
    ("Brochures", "产品手册", [
            ("brochure-zh.txt", "打印机、笔记本电脑和服务器，三年保修。"),
            ("brochure-zh.txt", "打印机、笔记本电脑和服务器，三年保修，"
                "免费上门服务。"),
            ], []),
    ("Manuals", "Escalation contacts", [
            ("escalation.txt",
                "Escalation: call the duty engineer, then the service "
                "manager."),
            ], ['crm_service.group_crm_service_agent']),
    ("Manuals", "Printer repair manual", [
            ("printer-manual.txt",
                "Clean the rollers every month; replace them every year."),
            ], []),
    ]


def _users(pool):
    User = pool.get('res.user')
    return {u.login: u for u in User.search([])}


def articles(pool, users):
    "Create the categories and the articles; return those to publish"
    Category = pool.get('crm.knowledge.category')
    CaseCategory = pool.get('crm.service.case.category')
    Article = pool.get('crm.knowledge.article')
    Lang = pool.get('ir.lang')
    langs = {l.code: l for l in Lang.search(
            [('code', 'in', ['en', 'zh_CN'])])}
    Lang.write(list(langs.values()), {'translatable': True})
    categories = {}
    for name, children in CATEGORIES:
        parent, = Category.create([{'name': name}])
        categories[name] = parent
        for child in Category.create(
                [{'name': c, 'parent': parent.id} for c in children]):
            categories[child.name] = child
    case_categories = {c.name: c for c in CaseCategory.search([])}
    created = Article.create([{
                'title': title, 'body': body,
                'category': categories[category].id,
                'language': langs[language].id,
                'author': users['admin'].id,
                'case_categories': [('add', [case_categories[case].id])]
                if case in case_categories else [],
                } for category, case, language, title, body, _
            in ARTICLES])
    states = {a: row[-1] for a, row in zip(created, ARTICLES)}
    Article.review([a for a in created if states[a] != 'draft'])
    return [a for a in created if states[a] == 'published']


def populate(pool, rng, today):
    Article = pool.get('crm.knowledge.article')
    Case = pool.get('crm.service.case')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    transaction = Transaction()

    users = _users(pool)
    editor = ModelData.get_id('crm_knowledge.group_crm_knowledge_editor')
    User.write([users['manager']], {'groups': [('add', [editor])]})

    published = articles(pool, users)
    with transaction.set_user(users['manager'].id):
        Article.publish(published)
        revised = [a for a in published if a.title in REVISED]
        Article.draft(revised)
        for article in revised:
            article.body = REVISED[article.title]
        Article.save(revised)
        Article.review(revised)
        Article.publish(revised)

    readers = [users[l] for l in ['sales1', 'sales2', 'agent', 'manager']]
    for reader in readers:
        with transaction.set_user(reader.id):
            for article in rng.sample(published, k=8):
                Article.vote([article], rng.random() < 0.8)
            Article.register_views(
                rng.choices(published, k=rng.randint(5, 25)))

    # The agent records the articles that answered resolved cases
    cases = Case.search([('state', 'in', ['resolved', 'closed'])])
    with transaction.set_user(users['agent'].id):
        for case in cases:
            suggested = case.suggested_articles
            if suggested:
                Case.write([case], {
                        'answered_by': [('add', [suggested[0].id])]})

    documents(pool, rng, users)


def documents(pool, rng, users):
    Folder = pool.get('crm.knowledge.folder')
    Document = pool.get('crm.knowledge.document')
    Opportunity = pool.get('sale.opportunity')
    Case = pool.get('crm.service.case')
    ModelData = pool.get('ir.model.data')

    folders = {}
    for name, children in FOLDERS:
        parent, = Folder.create([{'name': name}])
        folders[name] = parent
        for child in Folder.create(
                [{'name': c, 'parent': parent.id} for c in children]):
            folders[child.name] = child
    opportunities = Opportunity.search([], limit=20)
    cases = Case.search([], limit=20)
    for folder, name, uploads, groups in DOCUMENTS:
        opportunity, case = rng.choice(opportunities), rng.choice(cases)
        links = [opportunity.party, opportunity, case, case.party]
        document, = Document.create([{
                    'name': name, 'folder': folders[folder].id,
                    'owner': users['manager'].id,
                    'groups': [('add', [ModelData.get_id(g)
                                for g in groups])],
                    'links': [('create', [{'record': str(r)}
                                for r in dict.fromkeys(links)])],
                    }])
        for file_name, content in uploads:
            Document.write([document], {
                    'file_name': file_name,
                    'file': content.encode('utf-8')})
