# calculate_f1 from MentalLLaMA's src/IMHI.py, copied verbatim (the function under test only;
# the model loading and generation code of IMHI.py is left out).
#
# Source: https://github.com/SteveKGYang/MentalLLaMA/blob/42cd29dfb91092843daae53ec162c75605d753ff/src/IMHI.py
# Copyright (c) 2023 NaCTeM. MIT License:
#
# Permission is hereby granted, free of charge, to any person obtaining a copy of this software
# and associated documentation files (the "Software"), to deal in the Software without
# restriction, including without limitation the rights to use, copy, modify, merge, publish,
# distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
# Software is furnished to do so, subject to the following conditions:
#
# The above copyright notice and this permission notice shall be included in all copies or
# substantial portions of the Software.
#
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
# BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
# NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
# DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
# OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

from sklearn.metrics import f1_score, confusion_matrix, accuracy_score, classification_report, \
    precision_recall_fscore_support, precision_score, recall_score

def calculate_f1(generated, goldens, output_path):
    for dataset_name in generated.keys():
        golden = goldens[dataset_name]
        outputs = generated[dataset_name]

        output_label = []
        golden_label = []
        count = 0

        for ref, output in zip(golden, outputs):
            ref_an = ref.split("Reasoning:")[0]
            output_an = output.split("Reasoning:")[0]
            #print(output)
            #output_an = str(output)[:70]

            if dataset_name == 'swmh':
                if 'no mental' in output_an.lower():
                    output_label.append(0)
                elif 'suicide' in output_an.lower():
                    output_label.append(1)
                elif 'depression' in output_an.lower():
                    output_label.append(2)
                elif 'anxiety' in output_an.lower():
                    output_label.append(3)
                elif 'bipolar' in output_an.lower():
                    output_label.append(4)
                else:
                    count += 1
                    output_label.append(0)
                    #print(output)

                if 'no mental' in ref_an.lower():
                    golden_label.append(0)
                elif 'suicide' in ref_an.lower():
                    golden_label.append(1)
                elif 'depression' in ref_an.lower():
                    golden_label.append(2)
                elif 'anxiety' in ref_an.lower():
                    golden_label.append(3)
                elif 'bipolar' in ref_an.lower():
                    golden_label.append(4)
                else:
                    output_label = output_label[:-1]

            elif dataset_name == 't-sid':
                if 'depression' in output_an.lower():
                    output_label.append(2)
                elif 'suicide' in output_an.lower():
                    output_label.append(1)
                elif 'ptsd' in output_an.lower():
                    output_label.append(3)
                elif 'no mental' in output_an.lower():
                    output_label.append(0)
                else:
                    count += 1
                    #print(output)
                    output_label.append(0)
                    #print(output)

                if 'depression' in ref_an.lower():
                    golden_label.append(2)
                elif 'suicide or self-harm' in ref_an.lower():
                    golden_label.append(1)
                elif 'ptsd' in ref_an.lower():
                    golden_label.append(3)
                elif 'no mental disorders' in ref_an.lower():
                    golden_label.append(0)

            elif dataset_name in ['CLP', 'DR', 'dreaddit', 'loneliness', 'Irf', 'MultiWD']:
                if 'yes' in output_an.lower():
                    output_label.append(1)
                elif 'no' in output_an.lower():
                    output_label.append(0)
                else:
                    count += 1
                    output_label.append(0)
                    #print(output)

                if 'yes' in ref_an.lower():
                    golden_label.append(1)
                elif 'no' in ref_an.lower():
                    golden_label.append(0)

            elif dataset_name == 'SAD':
                if 'school' in output_an.lower():
                    output_label.append(0)
                elif 'financial' in output_an.lower():
                    output_label.append(1)
                elif 'family' in output_an.lower():
                    output_label.append(2)
                elif 'social' in output_an.lower():
                    output_label.append(3)
                elif 'work' in output_an.lower():
                    output_label.append(4)
                elif 'health' in output_an.lower():
                    output_label.append(5)
                elif 'emotional' in output_an.lower():
                    output_label.append(6)
                elif 'decision' in output_an.lower():
                    output_label.append(7)
                elif 'other' in output_an.lower():
                    output_label.append(8)
                else:
                    count += 1
                    output_label.append(8)
                    #print(output_an)

                if 'school' in ref_an.lower():
                    golden_label.append(0)
                elif 'financial problem' in ref_an.lower():
                    golden_label.append(1)
                elif 'family issues' in ref_an.lower():
                    golden_label.append(2)
                elif 'social relationships' in ref_an.lower():
                    golden_label.append(3)
                elif 'work' in ref_an.lower():
                    golden_label.append(4)
                elif 'health issues' in ref_an.lower():
                    golden_label.append(5)
                elif 'emotional turmoil' in ref_an.lower():
                    golden_label.append(6)
                elif 'everyday decision making' in ref_an.lower():
                    golden_label.append(7)
                elif 'other causes' in ref_an.lower():
                    golden_label.append(8)

            elif dataset_name == 'CAMS':
                if 'none' in output_an.lower():
                    output_label.append(0)
                elif 'bias' in output_an.lower():
                    output_label.append(1)
                elif 'jobs' in output_an.lower():
                    output_label.append(2)
                elif 'medication' in output_an.lower():
                    output_label.append(3)
                elif 'relationship' in output_an.lower():
                    output_label.append(4)
                elif 'alienation' in output_an.lower():
                    output_label.append(5)
                else:
                    count += 1
                    output_label.append(0)
                    #print(output_an)

                if 'none' in ref_an.lower():
                    golden_label.append(0)
                elif 'bias or abuse' in ref_an.lower():
                    golden_label.append(1)
                elif 'jobs and career' in ref_an.lower():
                    golden_label.append(2)
                elif 'medication' in ref_an.lower():
                    golden_label.append(3)
                elif 'relationship' in ref_an.lower():
                    golden_label.append(4)
                elif 'alienation' in ref_an.lower():
                    golden_label.append(5)

        avg_accuracy = round(accuracy_score(golden_label, output_label) * 100, 2)
        weighted_f1 = round(f1_score(golden_label, output_label, average='weighted') * 100, 2)
        micro_f1 = round(f1_score(golden_label, output_label, average='micro') * 100, 2)
        macro_f1 = round(f1_score(golden_label, output_label, average='macro') * 100, 2)
        # recall = round(recall_score(f_labels, outputs, average='weighted')*100, 2)
        result = "Dataset: {}, average acc:{}, weighted F1 {}, micro F1 {}, macro F1 {}, OOD count: {}\n".format(dataset_name,
                                                                                             avg_accuracy, weighted_f1,
                                                                                             micro_f1, macro_f1, count)
        print(result)
        with open("{}/{}/results.txt".format('../model_output', output_path), 'a+') as f:
            f.write(result)
        print(count)

