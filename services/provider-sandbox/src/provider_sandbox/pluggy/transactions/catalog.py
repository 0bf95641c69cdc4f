"""What the transaction generator draws from: Pluggy's categories, merchants, people, templates.

Category ids and names are Pluggy's (GET /categories). Brands are real Brazilian companies so the
data reads naturally; their CNPJs and every person's CPF are made up (valid check digits only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from provider_sandbox.pluggy.documents import cnpj, cpf

TransactionType = Literal["DEBIT", "CREDIT"]
PaymentMethod = Literal["PIX", "TED", "BOLETO"]
AccountKind = Literal["CHECKING", "SAVINGS", "CREDIT_CARD"]

CATEGORIES: dict[str, str] = {
    "01010000": "Salary",
    "03020000": "Fixed income",
    "03060000": "Proceeds interests and dividends",
    "04000000": "Same person transfer",
    "05070000": "Transfer - PIX",
    "05080000": "Transfer - TED",
    "05100000": "Credit card payment",
    "07010001": "Internet",
    "07010002": "Mobile",
    "08010000": "Online shopping",
    "08020000": "Electronics",
    "08040000": "Clothing",
    "09020000": "Video streaming",
    "09030000": "Music streaming",
    "10000000": "Groceries",
    "11010000": "Eating out",
    "11020000": "Food delivery",
    "12010000": "Airport and airlines",
    "12020000": "Accomodation",
    "15000000": "Taxes",
    "15030000": "Tax on financial operations",
    "16010000": "Account fees",
    "17010000": "Rent",
    "17020001": "Water",
    "17020002": "Electricity",
    "17020003": "Gas",
    "18020000": "Pharmacy",
    "19010000": "Taxi and ride-hailing",
    "19050001": "Gas stations",
}

# The top of Pluggy's tree (GET /categories): every id above is a child of its first two digits'.
TOP_LEVEL_CATEGORIES: dict[str, str] = {
    "01000000": "Income",
    "02000000": "Loans and financing",
    "03000000": "Investments",
    "04000000": "Same person transfer",
    "05000000": "Transfers",
    "06000000": "Legal obligations",
    "07000000": "Services",
    "08000000": "Shopping",
    "09000000": "Digital services",
    "10000000": "Groceries",
    "11000000": "Food and drinks",
    "12000000": "Travel",
    "13000000": "Donations",
    "14000000": "Gambling",
    "15000000": "Taxes",
    "16000000": "Bank fees",
    "17000000": "Housing",
    "18000000": "Healthcare",
    "19000000": "Transportation",
    "20000000": "Insurance",
    "21000000": "Leisure",
    "99999999": "Other",
}

# Pluggy's `descriptionTranslated` (pt-BR) of the categories above.
CATEGORY_TRANSLATIONS: dict[str, str] = {
    "01000000": "Renda",
    "01010000": "Salário",
    "02000000": "Empréstimos e financiamento",
    "03000000": "Investimentos",
    "03020000": "Renda fixa",
    "03060000": "Juros e dividendos",
    "04000000": "Transferência entre contas próprias",
    "05000000": "Transferências",
    "05070000": "Transferência - PIX",
    "05080000": "Transferência - TED",
    "05100000": "Pagamento de cartão de crédito",
    "06000000": "Obrigações legais",
    "07000000": "Serviços",
    "07010001": "Internet",
    "07010002": "Celular",
    "08000000": "Compras",
    "08010000": "Compras online",
    "08020000": "Eletrônicos",
    "08040000": "Vestuário",
    "09000000": "Serviços digitais",
    "09020000": "Streaming de vídeo",
    "09030000": "Streaming de música",
    "10000000": "Supermercado",
    "11000000": "Alimentação",
    "11010000": "Restaurantes",
    "11020000": "Delivery de comida",
    "12000000": "Viagem",
    "12010000": "Aeroportos e companhias aéreas",
    "12020000": "Hospedagem",
    "13000000": "Doações",
    "14000000": "Apostas",
    "15000000": "Impostos",
    "15030000": "IOF",
    "16000000": "Tarifas bancárias",
    "16010000": "Tarifas da conta",
    "17000000": "Moradia",
    "17010000": "Aluguel",
    "17020001": "Água",
    "17020002": "Eletricidade",
    "17020003": "Gás",
    "18000000": "Saúde",
    "18020000": "Farmácia",
    "19000000": "Transporte",
    "19010000": "Táxi e transporte por aplicativo",
    "19050001": "Postos de gasolina",
    "20000000": "Seguros",
    "21000000": "Lazer",
    "99999999": "Outros",
}


@dataclass(frozen=True)
class Bank:
    """A Brazilian bank as payment data names it."""

    name: str
    compe: str
    ispb: str


BANKS: tuple[Bank, ...] = (
    Bank("Itaú Unibanco", "341", "60701190"),
    Bank("Bradesco", "237", "60746948"),
    Bank("Banco do Brasil", "001", "00000000"),
    Bank("Caixa Econômica Federal", "104", "00360305"),
    Bank("Nu Pagamentos", "260", "18236120"),
    Bank("Banco Inter", "077", "00416968"),
    Bank("Santander", "033", "90400888"),
)


@dataclass(frozen=True)
class Party:
    """Someone on the other side of a transaction: a person, an employer or a merchant."""

    name: str
    document: str
    document_type: Literal["CPF", "CNPJ"]
    business_name: str | None = None
    cnae: str | None = None
    category_id: str | None = None
    mcc: str | None = None

    @property
    def is_company(self) -> bool:
        """Whether the party has a CNPJ."""
        return self.document_type == "CNPJ"


def _person(name: str, seed: int) -> Party:
    return Party(name, cpf(seed * 7919 + 12345), "CPF")


def _company(
    name: str, business_name: str, seed: int, cnae: str, category_id: str, mcc: str = "5999"
) -> Party:
    return Party(name, cnpj(seed * 104729 + 4242), "CNPJ", business_name, cnae, category_id, mcc)


PEOPLE: tuple[Party, ...] = tuple(
    _person(name, seed)
    for seed, name in enumerate(
        (
            "João Pedro da Silva",
            "Maria Eduarda Santos",
            "Ana Beatriz Oliveira",
            "Lucas Gabriel Souza",
            "Juliana Ferreira Lima",
            "Rafael Almeida Costa",
            "Fernanda Ribeiro Carvalho",
            "Gustavo Henrique Rocha",
            "Camila Martins Gomes",
            "Bruno Araújo Barbosa",
            "Larissa Cardoso Pereira",
            "Thiago Nascimento Dias",
        )
    )
)

EMPLOYERS: tuple[Party, ...] = (
    _company("Acme Tecnologia", "ACME TECNOLOGIA LTDA", 1, "6201-5/01", "01010000"),
    _company("Padaria Pão Dourado", "PAO DOURADO PANIFICADORA LTDA", 2, "1091-1/02", "01010000"),
    _company("Construtora Horizonte", "CONSTRUTORA HORIZONTE S.A.", 3, "4120-4/00", "01010000"),
)

LANDLORDS: tuple[Party, ...] = (
    _company("Lopes Imóveis", "LOPES CONSULTORIA DE IMOVEIS S.A.", 10, "6821-8/01", "17010000"),
    _company("QuintoAndar", "QUINTOANDAR SERVICOS IMOBILIARIOS LTDA", 11, "6822-6/00", "17010000"),
)

UTILITIES: tuple[Party, ...] = (
    _company("Enel", "ENEL DISTRIBUICAO SAO PAULO S.A.", 20, "3514-0/00", "17020002", "4900"),
    _company("Sabesp", "CIA DE SANEAMENTO BASICO DO ESTADO DE SP", 21, "3600-6/01", "17020001"),
    _company("Comgás", "CIA DE GAS DE SAO PAULO - COMGAS", 22, "3520-4/02", "17020003", "4900"),
    _company("Vivo", "TELEFONICA BRASIL S.A.", 23, "6110-8/01", "07010002", "4814"),
    _company("Claro", "CLARO S.A.", 24, "6110-8/01", "07010001", "4814"),
)

TAX_AGENCIES: tuple[Party, ...] = (
    _company(
        "Receita Federal", "SECRETARIA DA RECEITA FEDERAL DO BRASIL", 30, "8411-6/00", "15000000"
    ),
)

STORES: tuple[Party, ...] = (
    _company(
        "Carrefour", "CARREFOUR COMERCIO E INDUSTRIA LTDA", 40, "4711-3/01", "10000000", "5411"
    ),
    _company(
        "Pão de Açúcar", "COMPANHIA BRASILEIRA DE DISTRIBUICAO", 41, "4711-3/01", "10000000", "5411"
    ),
    _company("Assaí Atacadista", "SENDAS DISTRIBUIDORA S.A.", 42, "4711-3/01", "10000000", "5411"),
    _company("Drogasil", "RAIA DROGASIL S.A.", 43, "4771-7/01", "18020000", "5912"),
    _company(
        "iFood",
        "IFOOD.COM AGENCIA DE RESTAURANTES ONLINE S.A.",
        44,
        "8299-7/99",
        "11020000",
        "5814",
    ),
    _company("Shell", "RAIZEN S.A.", 45, "4731-8/00", "19050001", "5541"),
    _company("Ipiranga", "IPIRANGA PRODUTOS DE PETROLEO S.A.", 46, "4731-8/00", "19050001", "5541"),
    _company("Uber", "UBER DO BRASIL TECNOLOGIA LTDA", 47, "7490-1/04", "19010000", "4121"),
    _company("99", "99 TECNOLOGIA LTDA", 48, "7490-1/04", "19010000", "4121"),
    _company(
        "Outback Steakhouse",
        "BLOOMIN BRAZIL RESTAURANTES LTDA",
        49,
        "5611-2/01",
        "11010000",
        "5812",
    ),
)

ONLINE_STORES: tuple[Party, ...] = (
    _company(
        "Amazon", "AMAZON SERVICOS DE VAREJO DO BRASIL LTDA", 60, "4713-0/04", "08010000", "5942"
    ),
    _company("Mercado Livre", "EBAZAR.COM.BR LTDA", 61, "4713-0/04", "08010000", "5399"),
    _company("Magazine Luiza", "MAGAZINE LUIZA S.A.", 62, "4753-9/00", "08020000", "5732"),
    _company("Renner", "LOJAS RENNER S.A.", 63, "4781-4/00", "08040000", "5651"),
    _company("LATAM", "TAM LINHAS AEREAS S.A.", 66, "5111-1/00", "12010000", "3005"),
    _company(
        "Booking.com", "BOOKING.COM BRASIL SERVICOS DE RESERVA", 67, "7911-2/00", "12020000", "7011"
    ),
)

SUBSCRIPTION_SERVICES: tuple[Party, ...] = (
    _company("Netflix", "NETFLIX ENTRETENIMENTO BRASIL LTDA", 64, "5911-1/99", "09020000", "4899"),
    _company(
        "Spotify", "SPOTIFY BRASIL SERVICOS DE MUSICA LTDA", 65, "9001-9/06", "09030000", "5815"
    ),
)

BANK_ITSELF = Party("Banco", cnpj(99), "CNPJ")


@dataclass(frozen=True)
class Template:
    """One kind of transaction an account sees, with how often and how much.

    `description` and `raw` are format strings over `{name}` (the party's name; upper-cased in
    the raw statement line). A party's own category overrides `category_id`.
    """

    weight: int
    type: TransactionType
    category_id: str
    min_cents: int
    max_cents: int
    parties: tuple[Party, ...]
    description: str
    raw: str
    method: PaymentMethod | None = None
    is_card_purchase: bool = False
    # Salary, rent, subscriptions: one party and one amount per account, once a month at the
    # same place of the month (as a statement repeats them, and a dashboard can find them
    # recurring), rather than drawn by weight: their weight is 0.
    recurring: bool = False


CHECKING_TEMPLATES: tuple[Template, ...] = (
    Template(0, "CREDIT", "01010000", 600_000, 1_500_000, EMPLOYERS,
             "Salário {name}", "TED RECEBIDA SALARIO {name}", "TED", recurring=True),
    Template(14, "CREDIT", "05070000", 2_000, 303_000, PEOPLE,
             "Pix recebido de {name}", "PIX RECEBIDO {name}", "PIX"),
    Template(14, "DEBIT", "05070000", 1_500, 150_000, PEOPLE,
             "Pix enviado para {name}", "PIX ENVIADO {name}", "PIX"),
    Template(2, "DEBIT", "05080000", 50_000, 500_000, PEOPLE,
             "TED enviada para {name}", "TED ENVIADA {name}", "TED"),
    Template(0, "DEBIT", "17010000", 150_000, 350_000, LANDLORDS,
             "Aluguel - {name}", "PAGTO BOLETO ALUGUEL {name}", "BOLETO", recurring=True),
    Template(6, "DEBIT", "17020000", 8_000, 45_000, UTILITIES,
             "Conta {name}", "PAGTO BOLETO {name}", "BOLETO"),
    Template(30, "DEBIT", "10000000", 1_500, 60_000, STORES,
             "{name}", "COMPRA CARTAO DEB {name}", is_card_purchase=True),
    Template(1, "DEBIT", "16010000", 1_990, 6_990, (BANK_ITSELF,),
             "Tarifa pacote de serviços", "TARIFA PACOTE SERVICOS"),
    Template(1, "DEBIT", "03020000", 50_000, 500_000, (BANK_ITSELF,),
             "Aplicação CDB", "APLICACAO CDB DI"),
    Template(1, "CREDIT", "03020000", 50_000, 500_000, (BANK_ITSELF,),
             "Resgate CDB", "RESGATE CDB DI"),
    Template(2, "DEBIT", "05100000", 80_000, 600_000, (BANK_ITSELF,),
             "Pagamento fatura cartão", "PAGTO FATURA CARTAO CREDITO"),
    Template(1, "DEBIT", "15000000", 10_000, 300_000, TAX_AGENCIES,
             "DAS Simples Nacional", "PAGTO DAS SIMPLES NACIONAL", "BOLETO"),
)  # fmt: skip

SAVINGS_TEMPLATES: tuple[Template, ...] = (
    Template(3, "CREDIT", "04000000", 10_000, 300_000, (BANK_ITSELF,),
             "Transferência da conta corrente", "TRANSF CC PARA POUPANCA"),
    Template(2, "DEBIT", "04000000", 10_000, 200_000, (BANK_ITSELF,),
             "Transferência para a conta corrente", "TRANSF POUPANCA PARA CC"),
    Template(2, "CREDIT", "03060000", 100, 5_000, (BANK_ITSELF,),
             "Rendimento poupança", "REMUNERACAO BASICA POUPANCA"),
)  # fmt: skip

CREDIT_CARD_TEMPLATES: tuple[Template, ...] = (
    Template(18, "DEBIT", "10000000", 1_500, 60_000, STORES,
             "{name}", "{name}", is_card_purchase=True),
    Template(12, "DEBIT", "08010000", 2_000, 250_000, ONLINE_STORES,
             "{name}", "{name}", is_card_purchase=True),
    Template(0, "DEBIT", "09020000", 1_990, 5_990, SUBSCRIPTION_SERVICES,
             "{name}", "{name}", is_card_purchase=True, recurring=True),
    Template(2, "CREDIT", "05100000", 80_000, 600_000, (BANK_ITSELF,),
             "Pagamento recebido", "PAGAMENTO EFETUADO"),
    Template(1, "DEBIT", "15030000", 100, 3_000, (BANK_ITSELF,),
             "IOF compra internacional", "IOF TRANSACOES EXTERIOR"),
)  # fmt: skip

TEMPLATES: dict[AccountKind, tuple[Template, ...]] = {
    "CHECKING": CHECKING_TEMPLATES,
    "SAVINGS": SAVINGS_TEMPLATES,
    "CREDIT_CARD": CREDIT_CARD_TEMPLATES,
}

# Transactions per account on a first sync, before a `user-ok-perf-N` multiplier.
BASE_COUNTS: dict[AccountKind, int] = {"CHECKING": 200, "SAVINGS": 30, "CREDIT_CARD": 120}
